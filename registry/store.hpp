// store.hpp -- the Store interface: where the registry's changes become durable.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "registry/instance.hpp"

namespace srvd::registry {

/// One instance's change, as the store must keep it: its whole current state, or its removal.
struct StoredChange {
  std::string service;               ///< lowercase
  std::string id;                    ///< lowercase
  std::optional<Instance> instance;  ///< nullopt: removed
  /// True when the only thing that happened is a heartbeat: the document may be unchanged,
  /// but a store that keeps TTLs itself (etcd leases) must renew it.
  bool renew_only = false;
};

/// Implemented in store/ (SQLite, etcd). Used on the control loop only: every call, and every
/// callback it makes, happens there.
class Store {
 public:
  virtual ~Store() = default;
  /// Makes `batch` durable as one unit, in order, and then calls done("") -- or
  /// done("why") if it could not, on the control loop, never from inside save(). The caller
  /// keeps at most one save outstanding and gathers everything that happens meanwhile into the
  /// next batch (group commit). `index` is the registry's change index after the batch.
  virtual void save(std::vector<StoredChange> batch, uint64_t index,
                    std::function<void(std::string error)> done) = 0;
  /// Non-empty while writes cannot succeed (etcd unreachable): the API refuses writes at once
  /// with 503 and this message, and /healthz reports degraded with it.
  virtual std::string unavailable() const { return {}; }
  /// Stops background work (threads, handles) before the loop's last run; save() after
  /// close() fails. Callbacks still pending are called with an error or dropped.
  virtual void close() = 0;
};

}  // namespace srvd::registry
