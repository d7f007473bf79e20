// publisher.hpp -- carries registry changes to the DNS loops and tells the API when they serve them.
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
/// turn shares one snapshot) it publishes the registry if it changed; DNS loops acknowledge
/// each swap through `ack_`, and writes waiting for that index are then answered.
class Publisher final : public api::Visibility {
 public:
  Publisher(uv_loop_t* loop, registry::Registry& registry);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Starts publishing to `dns`, which must outlive close().
  void attach(dns::Server* dns) { dns_ = dns; }
  /// While on, a turn publishes only if somebody waits for a newer snapshot than the last one
  /// (a write whose batch is durable, a long-poll). Durability turns it on while a batch is
  /// with the store: the writes that arrive meanwhile are not answered before that batch is
  /// saved anyway, so a burst costs one publish per batch instead of one per loop turn.
  /// Other changes (health, expiry) wait for that batch's publish, but never longer than
  /// kMaxDeferMs: a save can hang for seconds (etcd unreachable), and DNS must not.
  void defer(bool on) { defer_ = on; }
  static constexpr uint64_t kMaxDeferMs = 20;
  /// Thread-safe: DNS threads call it after swapping in a snapshot.
  void notify_applied() { uv_async_send(&ack_); }
  struct LongPoll;  ///< a long-poll's timer (defined in the .cpp)
  void when_visible(uint64_t index, std::function<void()> then) override;
  void when_visible_within(uint64_t index, uint64_t timeout_ms,
                           std::function<void()> then) override;
  /// srvd_publish_seconds (Registry::publish and the hand-over to the DNS loops) and
  /// srvd_publish_visible_seconds (from the hand-over until every DNS loop serves it).
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
  bool awaited() const;
  void on_ack();
  void on_poll_timeout(LongPoll* poll);

  registry::Registry& registry_;
  dns::Server* dns_ = nullptr;
  uv_prepare_t prepare_{};
  uv_async_t ack_{};
  uv_loop_t* loop_;
  /// By index: a long-poll may wait for an index above the current one, so arrival order is
  /// not index order. Equal indexes keep arrival order.
  Waiting waiting_;
  bool defer_ = false;
  uv_timer_t defer_timer_{};  ///< runs while a change waits for a deferred publish
  bool defer_expired_ = false;
  uint64_t published_index_ = 0;  ///< of the last snapshot handed to the DNS loops

  /// Sum (ns) and count of publishes, and the longest; the oldest publish not yet acknowledged
  /// by every DNS loop (index 0: none) and the sum (ns) and count of those acknowledgements.
  uint64_t publish_ns_ = 0, publishes_ = 0, publish_max_ns_ = 0;
  uint64_t unacked_index_ = 0;
  int64_t unacked_since_ns_ = 0;
  uint64_t visible_ns_ = 0, visibles_ = 0;
};

}  // namespace srvd
