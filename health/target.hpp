// target.hpp -- where a check connects and what it asks, parsed once per CheckSpec.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

#include "registry/health.hpp"

namespace srvd::health {

/// A check's destination: the address to connect to and, for HTTP, the request to send.
struct Target {
  sockaddr_storage address{};
  std::string request;  ///< the whole HTTP/1.1 request; empty for a TCP check
};

/// Parses spec.target: "http://HOST[:PORT]/PATH" (port 80 by default) or "HOST:PORT", with
/// HOST an IPv4 literal, a bracketed IPv6 literal or "localhost" (127.0.0.1). Names are not
/// resolved: a check never waits on DNS. Returns nullopt and sets `error` otherwise.
std::optional<Target> parse_target(const registry::CheckSpec& spec, std::string& error);

}  // namespace srvd::health
