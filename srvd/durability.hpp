// durability.hpp -- group commit: carries the registry's changes to the Store and holds a
// write's response until the store has them and DNS serves them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "api/http_server.hpp"
#include "registry/registry.hpp"
#include "registry/store.hpp"
#include "srvd/publisher.hpp"

namespace srvd {

/// Lives on the control loop. Once per loop turn (uv_prepare) it takes what changed in the
/// registry as one batch and hands it to the store, unless a batch is still being saved:
/// then everything that happens meanwhile waits and goes in the next batch together, so a
/// burst of writes costs one commit per batch, not one per write (issue 5 §1). A batch the
/// store fails is rolled back in the registry, with every change made since, and all their
/// writes are answered with the store's error.
class Durability final : public api::Visibility {
 public:
  /// Turns on the registry's change tracking. `store` and `publisher` must outlive close().
  Durability(uv_loop_t* loop, registry::Registry& registry, registry::Store& store,
             Publisher& publisher);
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  void when_visible(uint64_t index, std::function<void()> then) override;
  void when_visible_within(uint64_t index, uint64_t timeout_ms,
                           std::function<void()> then) override;
  /// Waits for the batch that holds this turn's changes, then for DNS to serve `index`.
  void after_write(uint64_t index, std::function<void(std::string error)> then) override;
  std::string store_unavailable() const override { return store_.unavailable(); }
  /// The publisher's samples, then srvd_store_batches_total, srvd_store_changes_total and
  /// srvd_store_save_seconds (a batch handed to the store until it is durable).
  void append_metrics(std::string& out) const override;
  /// Closes the handle; waiting writes are dropped (their connections close with the server).
  void close();

 private:
  void on_prepare();
  void on_saved(uint64_t batch, const std::string& error);

  registry::Registry& registry_;
  registry::Store& store_;
  Publisher& publisher_;
  uv_prepare_t prepare_{};
  uint64_t open_batch_ = 1;  ///< the batch that collects this turn's changes
  bool saving_ = false;      ///< a batch is with the store
  bool closed_ = false;
  /// A write waiting for its batch, then for DNS to serve `index`. Kept as is, not wrapped
  /// in another std::function: that would cost an allocation per write.
  struct Waiter {
    uint64_t batch;
    uint64_t index;
    std::function<void(std::string)> then;
  };
  std::deque<Waiter> waiting_;  ///< by batch
  std::vector<Waiter> ready_;   ///< on_saved's; kept for its capacity
  uint64_t batches_ = 0, changes_ = 0, save_ns_ = 0;  ///< saved batches, their changes, time
};

}  // namespace srvd
