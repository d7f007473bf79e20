// snapshot.cpp -- allocation-free lookups in an immutable snapshot.
#include "registry/snapshot.hpp"

#include <algorithm>

namespace srvd::registry {

size_t Snapshot::shard_of(std::string_view service) {
  uint32_t h = 2166136261u;  // FNV-1a: cheap and good enough to spread labels over shards
  for (char c : service) {
    h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  }
  return h % kShards;
}

const ServiceRecords* Snapshot::find(std::string_view service) const {
  const auto& shard = table_[shard_of(service)];
  if (!shard) {
    return nullptr;
  }
  auto it = std::lower_bound(shard->begin(), shard->end(), service,
                             [](const auto& s, std::string_view n) { return s->name < n; });
  return it != shard->end() && (*it)->name == service ? it->get() : nullptr;
}

const ServedInstance* ServiceRecords::find(std::string_view id) const {
  auto it = std::lower_bound(instances.begin(), instances.end(), id,
                             [](const ServedInstance& i, std::string_view n) { return i.id < n; });
  return it != instances.end() && it->id == id ? &*it : nullptr;
}

}  // namespace srvd::registry
