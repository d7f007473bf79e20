// expiry.hpp -- drives the registry's TTL and deregister_after deadlines from the control loop.
#pragma once

#include <uv.h>

#include "registry/registry.hpp"

namespace srvd {

/// Ticks a uv_timer on the control loop and calls Registry::expire with the wall clock. The
/// publisher's next loop turn carries any change to DNS. A tick (rather than a timer armed for
/// the next deadline) keeps heartbeats cheap: they only move a time stamp.
class Expiry {
 public:
  /// Ticks every `tick_ms`; a missed heartbeat takes effect at most that late.
  Expiry(uv_loop_t* loop, registry::Registry& registry, uint64_t tick_ms = 200);
  Expiry(const Expiry&) = delete;
  Expiry& operator=(const Expiry&) = delete;
  /// Closes the timer; the owner must keep this alive until the loop has run once more.
  void close();

 private:
  registry::Registry& registry_;
  uv_timer_t timer_{};
};

}  // namespace srvd
