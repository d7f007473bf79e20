// static_zones.cpp -- allocation-free lookups in the static zones.
#include "registry/static_zones.hpp"

#include <algorithm>

namespace srvd::registry {

const StaticName* StaticZone::find(std::span<const uint8_t> name) const {
  auto less = [](const StaticName& n, std::span<const uint8_t> key) {
    return std::lexicographical_compare(n.name.begin(), n.name.end(), key.begin(), key.end());
  };
  auto it = std::lower_bound(names.begin(), names.end(), name, less);
  if (it == names.end() ||
      !std::equal(it->name.begin(), it->name.end(), name.begin(), name.end())) {
    return nullptr;
  }
  return &*it;
}

const StaticZone* StaticZones::registry_extra() const {
  for (const auto& z : zones) {
    if (z.registry_extra) {
      return &z;
    }
  }
  return nullptr;
}

}  // namespace srvd::registry
