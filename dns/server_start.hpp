// server_start.hpp -- Server::start with the loop tunables exposed (tests, future flags).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dns/loop_state.hpp"
#include "dns/server.hpp"

namespace srvd::dns {

/// As Server::start, with explicit LoopOptions (TCP idle timeout, connection cap, EDNS
/// payload). Server::start calls this with the defaults. Once ServerConfig carries these
/// fields (issue 3's payload flag), this header can go.
std::unique_ptr<Server> start_server(const ServerConfig& config, const LoopOptions& options,
                                     std::shared_ptr<const registry::Snapshot> initial,
                                     std::function<void()> on_applied, std::string& error);

}  // namespace srvd::dns
