// flags.cpp -- parsing of `srvd serve` flags and ADDR:PORT values.
#include "srvd/flags.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "registry/instance.hpp"

namespace srvd {

const char* const kServeUsage =
    "usage: srvd serve [flags]\n"
    "  --dns ADDR:PORT      DNS on UDP and TCP (default 127.0.0.1:8053; port 0 picks one)\n"
    "  --http ADDR:PORT     HTTP API (default 127.0.0.1:8054)\n"
    "  --domain NAME        zone served (default svc.internal)\n"
    "  --ttl SECONDS        TTL of answers and negative answers (default 5)\n"
    "  --negative-ttl SECS  SOA minimum: how long NXDOMAIN/NODATA are cached (default: --ttl)\n"
    "  --edns-payload N     EDNS UDP payload size, 512-4096 (default 1232)\n"
    "  --zones DIR          serve the RFC 1035 master files DIR/*.zone (default zones)\n"
    "  --upstream A:P[,..]  forward names outside every zone there (default: REFUSED)\n"
    "  --services FILE      register the instances in this JSON file (re-read on SIGHUP)\n"
    "  --data-dir DIR       keep the registry in DIR/registry.db, SQLite (default data)\n"
    "  --etcd URL[,URL..]   keep it in etcd instead, shared by every replica given the same\n"
    "  --etcd-prefix KEY    where in etcd: KEY/<service>/<id> (default /srvd/services)\n"
    "  --ns-addresses IP,.. the A/AAAA of ns.<domain>: every replica (default: the --dns IP)\n"
    "  --dns-threads N      DNS loops (default: one per core)\n";

namespace {

template <class T>
bool parse_number(std::string_view s, T& out, T min, T max) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > max) {
    return false;
  }
  out = v;
  return true;
}

}  // namespace

std::optional<sockaddr_storage> parse_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  uint16_t port = 0;
  if (!parse_number<uint16_t>(text.substr(colon + 1), port, 0, 65535)) {
    return std::nullopt;
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  sockaddr_storage ss{};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr) != 1) {
      return std::nullopt;
    }
    return ss;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
    return std::nullopt;
  }
  return ss;
}

std::string format_host_port(const sockaddr_storage& addr, uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf,
              sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(port);
}

std::optional<ServeConfig> parse_serve_flags(const std::vector<std::string_view>& args,
                                             std::string& error) {
  ServeConfig c;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::string_view value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = "flag " + std::string(name) + " needs a value";
      return std::nullopt;
    }
    auto bad = [&](const char* what) {
      error = "invalid " + std::string(name) + " '" + std::string(value) + "': " + what;
      return std::nullopt;
    };
    if (name == "--dns" || name == "--http") {
      if (!parse_host_port(value)) {
        return bad("expected ADDR:PORT, e.g. 127.0.0.1:8053 or [::1]:8053");
      }
      (name == "--dns" ? c.dns : c.http) = std::string(value);
    } else if (name == "--domain") {
      c.domain = std::string(value);
    } else if (name == "--ttl") {
      if (!parse_number<uint32_t>(value, c.ttl, 0, 86400)) {
        return bad("expected seconds, 0-86400");
      }
    } else if (name == "--negative-ttl") {
      uint32_t v = 0;
      if (!parse_number<uint32_t>(value, v, 0, 86400)) {
        return bad("expected seconds, 0-86400");
      }
      c.negative_ttl = v;
    } else if (name == "--edns-payload") {
      if (!parse_number<uint16_t>(value, c.edns_payload, 512, 4096)) {
        return bad("expected 512-4096");
      }
    } else if (name == "--zones") {
      c.zones_dir = std::string(value);
      c.zones_dir_given = true;
    } else if (name == "--upstream") {
      c.upstreams.clear();
      for (std::string_view rest = value; !rest.empty();) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        if (!parse_host_port(one)) {
          return bad("expected ADDR:PORT[,ADDR:PORT...]");
        }
        c.upstreams.emplace_back(one);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (name == "--services") {
      if (value.empty()) {
        return bad("expected a file name");
      }
      c.services_file = std::string(value);
    } else if (name == "--data-dir") {
      if (value.empty()) {
        return bad("expected a directory");
      }
      c.data_dir = std::string(value);
    } else if (name == "--etcd") {
      c.etcd.clear();
      for (std::string_view rest = value; !rest.empty();) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        if (!one.starts_with("http://") && !one.starts_with("https://")) {
          return bad("expected URL[,URL...], e.g. http://127.0.0.1:2379");
        }
        c.etcd.emplace_back(one);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      if (c.etcd.empty()) {
        return bad("expected URL[,URL...], e.g. http://127.0.0.1:2379");
      }
    } else if (name == "--etcd-prefix") {
      if (!value.starts_with("/") || value.ends_with("/") || value.size() < 2) {
        return bad("expected a key such as /srvd/services (leading slash, no trailing one)");
      }
      c.etcd_prefix = std::string(value);
    } else if (name == "--ns-addresses") {
      c.ns_addresses.clear();
      for (std::string_view rest = value; !rest.empty();) {
        size_t comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        if (!registry::parse_address(one)) {
          return bad("expected IP[,IP...], e.g. 10.0.0.1,10.0.0.2");
        }
        c.ns_addresses.emplace_back(one);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (name == "--dns-threads") {
      if (!parse_number<unsigned>(value, c.dns_threads, 1, 64)) {
        return bad("expected 1-64");
      }
    } else {
      error = "unknown flag " + std::string(name);
      return std::nullopt;
    }
  }
  return c;
}

}  // namespace srvd
