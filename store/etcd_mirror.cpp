// etcd_mirror.cpp -- applies what etcd holds to the local registry.
#include "store/etcd_mirror.hpp"

#include <cstdio>
#include <set>

#include "registry/stored_instance.hpp"
#include "store/etcd_keys.hpp"

namespace srvd::store {

RegistryMirror::RegistryMirror(registry::Registry& registry, std::string prefix)
    : registry_(registry), prefix_(std::move(prefix)) {}

void RegistryMirror::writing(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    ++pending_[key];
  }
}

void RegistryMirror::written(const std::vector<std::string>& keys,
                             const std::map<std::string, int64_t>& revisions, int64_t now_ms) {
  for (const auto& key : keys) {
    if (const auto rev = revisions.find(key); rev != revisions.end()) {
      auto& applied = applied_[key];
      applied = std::max(applied, rev->second);
    }
    const auto it = pending_.find(key);
    if (it == pending_.end() || --it->second > 0) {
      continue;
    }
    pending_.erase(it);
    if (const auto held = held_.find(key); held != held_.end()) {
      Held event = std::move(held->second);
      held_.erase(held);
      // Applied only if etcd ordered it after our write (apply() compares revisions).
      apply(key, event.kv, event.revision, event.snapshot, now_ms);
    }
  }
}

void RegistryMirror::apply_events(const std::vector<EtcdEvent>& events, int64_t now_ms) {
  for (const auto& event : events) {
    apply(event.kv.key, event.deleted ? std::nullopt : std::optional<EtcdKv>(event.kv),
          event.kv.mod_revision, false, now_ms);
  }
}

void RegistryMirror::apply(const std::string& key, const std::optional<EtcdKv>& kv,
                           int64_t revision, bool snapshot, int64_t now_ms) {
  const auto ids = parse_instance_key(prefix_, key);
  if (!ids) {
    std::fprintf(stderr, "srvd: etcd: skipping key %s: not %s/<service>/<id>\n", key.c_str(),
                 prefix_.c_str());
    return;
  }
  // A local change not yet handed to the writer counts as a write in flight: it will reach
  // etcd after this, so this must not overwrite it (nor a full re-read, after a compaction).
  if (pending_.contains(key) || registry_.has_unsaved(ids->first, ids->second)) {
    auto& held = held_[key];
    if (revision >= held.revision) {
      held = {kv, revision, snapshot};
    }
    return;
  }
  auto& applied = applied_[key];
  // An event at the applied revision is an echo of our own write. A snapshot at it is the
  // state after it, and wins: after a failed write the registry may hold what etcd does not.
  if (revision < applied || (revision == applied && !snapshot)) {
    return;
  }
  applied = revision;
  set(ids->first, ids->second, key, kv, now_ms);
}

void RegistryMirror::set(const std::string& service, const std::string& id, const std::string& key,
                         const std::optional<EtcdKv>& kv, int64_t now_ms) {
  if (!kv) {
    registry_.apply_stored(
        {.service = service, .id = id, .instance = std::nullopt, .renew_only = false}, now_ms);
    return;
  }
  auto parsed = registry::from_stored_json(kv->value, service, id);
  if (auto* why = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "srvd: etcd: skipping key %s: %s\n", key.c_str(), why->c_str());
    return;
  }
  registry_.apply_stored({.service = service,
                          .id = id,
                          .instance = std::move(std::get<registry::Instance>(parsed)),
                          .renew_only = false},
                         now_ms);
}

void RegistryMirror::apply_snapshot(const std::vector<EtcdKv>& kvs, int64_t revision,
                                    int64_t now_ms, bool new_history) {
  if (new_history) {
    applied_.clear();
    held_.clear();
  }
  std::set<std::string> present;
  for (const auto& kv : kvs) {
    present.insert(kv.key);
  }
  // Removals first, from a copy of the ids: apply_stored changes services() as we go.
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [service, instances] : registry_.services()) {
    for (const auto& [id, inst] : instances) {
      if (!present.contains(instance_key(prefix_, service, id))) {
        gone.emplace_back(service, id);
      }
    }
  }
  // A snapshot is a state at `revision`: it wins over anything older, so each key is applied
  // as an event of that revision (held back while a write is in flight, ignored where a
  // later write or event is already applied).
  for (const auto& [service, id] : gone) {
    apply(instance_key(prefix_, service, id), std::nullopt, revision, true, now_ms);
  }
  for (const auto& kv : kvs) {
    apply(kv.key, kv, revision, true, now_ms);
  }
}

}  // namespace srvd::store
