// zones.cpp -- the composition root's side of static zones: load, report, hand over.
#include "srvd/zones.hpp"

#include <cstdio>

#include "dns/zone_loader.hpp"

namespace srvd {

bool load_zones(const ServeConfig& config, registry::Registry& registry, bool at_start) {
  dns::ZoneLoadResult r = dns::load_zone_dir(config.zones_dir, config.domain);
  if (r.dir_missing && config.zones_dir_given) {
    std::fprintf(stderr, "srvd: --zones %s: no such directory%s\n", config.zones_dir.c_str(),
                 at_start ? "" : "; keeping the zones loaded before");
    return !at_start;
  }
  for (const auto& e : r.errors) {
    std::fprintf(stderr, "srvd: zone file not loaded: %s\n", e.c_str());
  }
  for (const auto& l : r.loaded) {
    std::fprintf(stderr, "srvd: loaded %s\n", l.c_str());
  }
  registry.set_static_zones(std::move(r.zones));
  return true;
}

}  // namespace srvd
