// publisher.hpp -- carries registry changes to the DNS loops and tells the API when they serve
// them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/http_server.hpp"
#include "dns/server.hpp"
#include "registry/registry.hpp"

namespace srvd {

/// Lives on the control loop. Once per loop turn (uv_prepare, so every write made during the
/// turn shares one snapshot) it publishes the registry if it changed. DNS serves a snapshot as
/// soon as it is published (dns::SnapshotBoard), so writes waiting for its index are answered
/// then, on the next turn (`ack_`).
/// While held (a store batch is being saved, see Durability) changes wait, up to
/// kMaxHoldMs, to be published with the next batch: a write made during a save is answered
/// only after the next batch is durable anyway, so publishing it sooner would only cost
/// every DNS loop a swap (and the control loop a render and an acknowledgement) per turn.
class Publisher final : public api::Visibility {
 public:
  Publisher(uv_loop_t* loop, registry::Registry& registry, uint64_t max_hold_ms = kMaxHoldMs);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Starts publishing to `dns`, which must outlive close().
  void attach(dns::Server* dns) { dns_ = dns; }
  /// Publishes now if the registry changed (a store batch is handed over: DNS gets it while
  /// the store saves it).
  void publish_now();
  /// Holds changes back (true) until released (false) or max_hold_ms after the last publish.
  void hold(bool on) { held_ = on; }
  /// Health changes and other replicas' writes wait at most this long behind a slow save.
  static constexpr uint64_t kMaxHoldMs = 10;
  /// True if DNS serves `index` already (or nothing publishes): when_visible would call at once.
  bool visible(uint64_t index) const { return dns_ == nullptr || dns_->applied_index() >= index; }
  struct LongPoll;  ///< a long-poll's timer (defined in the .cpp)
  void when_visible(uint64_t index, std::function<void()> then) override;
  void when_visible_within(uint64_t index, uint64_t timeout_ms,
                           std::function<void()> then) override;
  /// srvd_publish_seconds (Registry::publish and the hand-over to the DNS loops) and
  /// srvd_publish_held_total (turns whose changes waited for the next batch).
  void append_metrics(std::string& out) const override;
  /// Closes the handles; the owner must keep this alive until the loop has run once more.
  void close();

 private:
  struct Waiter {
    std::function<void()> then;
    LongPoll* poll = nullptr;  ///< its timer, for a long-poll; stopped when it is answered
  };
  using Waiting = std::multimap<uint64_t, Waiter>;
  void on_prepare();
  void publish();
  void on_ack();
  void on_poll_timeout(LongPoll* poll);

  registry::Registry& registry_;
  dns::Server* dns_ = nullptr;
  uv_prepare_t prepare_{};
  uv_async_t ack_{};
  /// Ends a hold that outlasts kMaxHoldMs: its expiry is a loop turn, whose prepare publishes.
  uv_timer_t hold_timer_{};
  bool held_ = false;
  uint64_t max_hold_ms_;
  uint64_t last_publish_ms_ = 0;  ///< uv_now() at the last publish
  uv_loop_t* loop_;
  /// By index: a long-poll may wait for an index above the current one, so arrival order is
  /// not index order. Equal indexes keep arrival order.
  Waiting waiting_;

  /// Sum (ns) and count of publishes, and the longest.
  uint64_t publish_ns_ = 0, publishes_ = 0, publish_max_ns_ = 0;
  uint64_t held_turns_ = 0;
};

}  // namespace srvd
