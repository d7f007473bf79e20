// zones.hpp -- loads the static zones (--zones DIR) into the registry, at start and on SIGHUP.
#pragma once

#include "registry/registry.hpp"
#include "srvd/flags.hpp"

namespace srvd {

/// Reads `config.zones_dir`/*.zone and hands the result to `registry`, whose next publish
/// carries it to the DNS loops. Every bad file is reported on stderr with file and line and
/// left out; the rest load. A missing default directory means no static zones; a missing
/// directory given with --zones is fatal at start (returns false) and, on a reload, keeps
/// the zones loaded before.
bool load_zones(const ServeConfig& config, registry::Registry& registry, bool at_start);

}  // namespace srvd
