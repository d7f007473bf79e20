// zone_loader.hpp -- reads zones/*.zone master files (ldns) into prerendered StaticZones.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "registry/snapshot.hpp"

namespace srvd::dns {

struct ZoneLoadResult {
  /// Every zone that loaded (empty, never null, when none did).
  std::shared_ptr<const registry::StaticZones> zones;
  /// One message per problem, "FILE:LINE: what" (the line when ldns gives one). A file with
  /// an error is left out whole; the others load.
  std::vector<std::string> errors;
  /// One line per zone loaded, "FILE: zone ORIGIN, N records", for the operator's log.
  std::vector<std::string> loaded;
  bool dir_missing = false;  ///< `dir` does not exist (not an error for the default dir)
};

/// Loads every `*.zone` in `dir`, in name order, with ldns (RFC 1035 §5). `registry_domain`
/// (e.g. "svc.internal") is the registry's zone: a file whose SOA is at that name, or that
/// has no SOA and holds only names inside it, adds records to it (its SOA and apex NS are
/// ignored: the registry's stay authoritative). A file with its own SOA elsewhere is a zone
/// of its own. $INCLUDE is not supported (ldns). Runs on the control loop; allocates freely.
ZoneLoadResult load_zone_dir(const std::string& dir, std::string_view registry_domain);

/// Loads the given files as load_zone_dir does (for tests and for load_zone_dir itself).
ZoneLoadResult load_zone_files(const std::vector<std::string>& files,
                               std::string_view registry_domain);

}  // namespace srvd::dns
