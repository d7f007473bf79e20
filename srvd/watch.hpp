// watch.hpp -- `srvd watch [SERVICE]`: long-polls the API and prints each instance change.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "srvd/client_args.hpp"

namespace srvd {

/// What `watch` compares between two reads of one instance.
struct WatchedInstance {
  std::string address;          ///< "127.0.0.1:9001"
  std::string status;           ///< "healthy (HTTP 200)": status_text()
  std::string bare_status;      ///< "healthy"
  nlohmann::json registration;  ///< the fields a registration sets (address, port, tags, ...)
};

/// By "service/id".
using WatchedState = std::map<std::string, WatchedInstance>;

/// The instances of `services` (an array of {"name", "instances"} objects).
WatchedState watched_state(const nlohmann::json& services);

/// One line per instance that differs between `before` and `after`, without a timestamp:
/// "payment/p1 added 127.0.0.1:9001 healthy", "payment/p1 removed",
/// "payment/p1 status healthy -> critical (TTL expired)", "payment/p1 updated port, tags".
/// A check's output changing while its status stays the same is not a change.
std::vector<std::string> watched_changes(const WatchedState& before, const WatchedState& after);

/// Runs until killed: prints the current instances ("present"), then one timestamped line
/// per change. Connection errors are reported on stderr and retried with back-off.
int run_watch(const ClientArgs& args);

}  // namespace srvd
