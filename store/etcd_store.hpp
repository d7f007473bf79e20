// etcd_store.hpp -- the distributed store: etcd's v3 JSON gateway over libcurl, fed back by a watch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "registry/registry.hpp"
#include "registry/store.hpp"

struct uv_loop_s;

namespace srvd::store {

struct EtcdConfig {
  std::vector<std::string> endpoints;  ///< "http://127.0.0.1:2379", ...; tried in turn
  std::string prefix = "/srvd/services";  ///< instances are <prefix>/<service>/<id>
  /// The check leader's lease (key <prefix>.leader): a dead leader is replaced after this.
  uint32_t election_ttl_s = 3;
  uint32_t request_timeout_ms = 1000;  ///< per etcd request; a write fails (503) after it
};

/// Every replica keeps the whole registry locally, fed on the control loop by one consistent
/// read and then a watch from the revision after it, so DNS never waits on etcd. Writes made
/// through this replica are applied locally first (read-your-writes) and acknowledged once
/// etcd has them. TTL instances are put with an etcd lease of their TTL, renewed by a
/// heartbeat to any replica; an expired lease deletes the key everywhere. One replica at a
/// time holds the check leadership (a key under a lease) and runs the active checks.
class EtcdStore final : public registry::Store {
 public:
  /// Reads the registry from etcd into `registry` (blocking for up to one request timeout;
  /// if etcd is unreachable it starts empty and degraded and keeps trying), then starts the
  /// background threads. `on_leadership(true/false)` is called on `loop` when this replica
  /// gains or loses the check leadership. nullptr and `error` only for a bad configuration.
  static std::unique_ptr<EtcdStore> start(uv_loop_s* loop, registry::Registry& registry,
                                          EtcdConfig config,
                                          std::function<void(bool leader)> on_leadership,
                                          std::string& error);
  ~EtcdStore() override;

  void save(std::vector<registry::StoredChange> batch, uint64_t index,
            std::function<void(std::string error)> done) override;
  std::string unavailable() const override;
  void close() override;

  class Impl;

 private:
  explicit EtcdStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace srvd::store
