// etcd_mirror.hpp -- applies what etcd holds to the local registry, without undoing our own writes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "registry/registry.hpp"
#include "store/etcd_client.hpp"

namespace srvd::store {

/// A watch event, decoded: a put of `kv`, or the deletion of `kv.key` at `kv.mod_revision`.
struct EtcdEvent {
  bool deleted = false;
  EtcdKv kv;
};

/// Lives on the control loop; the only code here that calls Registry::apply_stored.
///
/// This replica applies its own writes to the registry before etcd has them, so what comes
/// back from etcd must not undo them: while a key has a write in flight (or a change the
/// next batch will write, Registry::has_unsaved), its events are held
/// back (only the newest is kept) and applied after the write only if etcd ordered them after
/// it. Every key remembers the revision applied last; anything not newer is old news (echoes
/// of our own puts included). Keys that are not "<prefix>/<service>/<id>" or values that
/// from_stored_json refuses are skipped with one line on stderr.
class RegistryMirror {
 public:
  RegistryMirror(registry::Registry& registry, std::string prefix);

  /// save() hands these keys to the writer.
  void writing(const std::vector<std::string>& keys);
  /// The writer is done with `keys`; `revisions` holds the revision of each key it wrote
  /// (none for a failed write, nor for a lease renewal that needed no put).
  void written(const std::vector<std::string>& keys,
               const std::map<std::string, int64_t>& revisions, int64_t now_ms);

  /// Events from the watch, in revision order.
  void apply_events(const std::vector<EtcdEvent>& events, int64_t now_ms);
  /// A full read at `revision`: every instance key there is. Local instances missing from it
  /// are removed, the rest set as read -- except keys known at a later revision or with a
  /// write in flight. `new_history`: etcd's revisions started over (its data was replaced),
  /// so the ones remembered mean nothing any more.
  void apply_snapshot(const std::vector<EtcdKv>& kvs, int64_t revision, int64_t now_ms,
                      bool new_history = false);

  /// Keys with a write in flight (for tests and for close()).
  size_t pending() const { return pending_.size(); }

 private:
  struct Held {
    std::optional<EtcdKv> kv;  ///< nullopt: deleted
    int64_t revision = 0;
    bool snapshot = false;  ///< from a full read rather than an event
  };

  void apply(const std::string& key, const std::optional<EtcdKv>& kv, int64_t revision,
             bool snapshot, int64_t now_ms);
  void set(const std::string& service, const std::string& id, const std::string& key,
           const std::optional<EtcdKv>& kv, int64_t now_ms);

  registry::Registry& registry_;
  std::string prefix_;
  std::map<std::string, int> pending_;      ///< key -> writes in flight
  std::map<std::string, Held> held_;        ///< key -> newest event held back while pending
  std::map<std::string, int64_t> applied_;  ///< key -> revision last applied (or written)
};

}  // namespace srvd::store
