// etcd_keys.hpp -- the key layout in etcd: <prefix>/<service>/<id>, and <prefix>.leader.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace srvd::store {

/// "<prefix>/<service>/<id>".
std::string instance_key(std::string_view prefix, std::string_view service, std::string_view id);

/// (service, id) of an instance key under `prefix`, or nullopt if `key` is not exactly
/// "<prefix>/<label>/<label>" with lowercase DNS labels (what the registry can hold).
std::optional<std::pair<std::string, std::string>> parse_instance_key(std::string_view prefix,
                                                                      std::string_view key);

/// "<prefix>/": every instance key, and nothing else (the leader key sorts outside it).
std::string instances_range_start(std::string_view prefix);
/// The range_end that makes [start, end) the keys starting with `start`: its last byte
/// that is not 0xff, plus one (etcd's "prefix" convention, clientv3.GetPrefixRangeEnd).
std::string prefix_range_end(std::string_view start);

/// "<prefix>.leader": outside "<prefix>/", so the watch never sees the election.
std::string leader_key(std::string_view prefix);

}  // namespace srvd::store
