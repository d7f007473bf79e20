// open_store.cpp -- the embedded store by default, etcd when --etcd names it.
#include "srvd/open_store.hpp"

#include <chrono>

#include "store/etcd_store.hpp"
#include "store/sqlite_store.hpp"

namespace srvd {

std::unique_ptr<registry::Store> open_store(const ServeConfig& config, uv_loop_t* loop,
                                            registry::Registry& registry,
                                            std::function<void(bool leader)> on_leadership,
                                            std::string& error) {
  if (!config.etcd.empty()) {
    // Leases expire TTL instances for every replica at once (issue 5 §6).
    registry.set_ttl_by_store(true);
    store::EtcdConfig etcd{.endpoints = config.etcd, .prefix = config.etcd_prefix};
    return store::EtcdStore::start(loop, registry, std::move(etcd), std::move(on_leadership),
                                   error);
  }
  store::Loaded loaded;
  auto sqlite = store::SqliteStore::open(loop, config.data_dir, loaded, error);
  if (!sqlite) {
    return nullptr;
  }
  using namespace std::chrono;
  const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  registry.restore(std::move(loaded.services), loaded.index, now);
  on_leadership(true);  // one process: it runs every check
  return sqlite;
}

}  // namespace srvd
