// flags.hpp -- command-line configuration of `srvd serve`.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace srvd {

struct ServeConfig {
  std::string dns = "127.0.0.1:8053";
  std::string http = "127.0.0.1:8054";
  std::string domain = "svc.internal";
  uint32_t ttl = 5;
  std::optional<uint32_t> negative_ttl;  ///< SOA minimum (RFC 2308); unset: same as ttl
  uint16_t edns_payload = 1232;          ///< our EDNS UDP payload size (RFC 6891)
  unsigned dns_threads = 0;              ///< 0: one per core
  std::string zones_dir = "zones";       ///< static master files, *.zone
  bool zones_dir_given = false;          ///< --zones was given: a missing dir is then fatal
  std::vector<std::string> upstreams;    ///< ADDR:PORT resolvers for names outside our zones
  std::string services_file;             ///< --services: instances from a JSON file; "" none
  std::string data_dir = "data";         ///< the embedded store's directory
  std::vector<std::string> etcd;         ///< --etcd endpoints; non-empty: etcd replaces SQLite
  std::string etcd_prefix = "/srvd/services";
  /// --ns-addresses: what ns.<domain> resolves to (every replica's DNS address); empty: the
  /// --dns address when it is a specific one.
  std::vector<std::string> ns_addresses;
};

/// Parses `srvd serve` flags (`--name value` or `--name=value`). On error returns nullopt
/// and sets `error` to a message naming the flag.
std::optional<ServeConfig> parse_serve_flags(const std::vector<std::string_view>& args,
                                             std::string& error);

/// Parses "1.2.3.4:53", "[::1]:53" or "localhost:53" (localhost means 127.0.0.1).
std::optional<sockaddr_storage> parse_host_port(std::string_view text);

/// "127.0.0.1:8053" / "[::1]:8053" for a bound address.
std::string format_host_port(const sockaddr_storage& addr, uint16_t port);

extern const char* const kServeUsage;

}  // namespace srvd
