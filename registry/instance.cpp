// instance.cpp -- parsing and validation of instance fields.
#include "registry/instance.hpp"

#include <arpa/inet.h>

#include <cctype>

namespace srvd::registry {

std::string_view to_string(Protocol p) { return p == Protocol::udp ? "udp" : "tcp"; }

std::string_view to_string(Status s) {
  switch (s) {
    case Status::healthy:
      return "healthy";
    case Status::warning:
      return "warning";
    case Status::critical:
      return "critical";
    case Status::maintenance:
      return "maintenance";
  }
  return "unknown";
}

std::string_view to_string(Source s) { return s == Source::file ? "file" : "api"; }

std::optional<Protocol> parse_protocol(std::string_view s) {
  if (s == "tcp") {
    return Protocol::tcp;
  }
  if (s == "udp") {
    return Protocol::udp;
  }
  return std::nullopt;
}

std::optional<Status> parse_status(std::string_view s) {
  for (Status st : {Status::healthy, Status::warning, Status::critical, Status::maintenance}) {
    if (s == to_string(st)) {
      return st;
    }
  }
  return std::nullopt;
}

namespace {

/// Dotted-quad IPv4 as inet_pton(AF_INET) reads it: four decimal octets of at most 255, no
/// leading zeros, nothing else. Its text is then already inet_ntop's canonical form. Every
/// write parses an address; inet_pton, inet_ntop and the copy cost ~2k instructions.
bool parse_dotted_quad(std::string_view text, Address& a) {
  size_t i = 0;
  for (size_t octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= text.size() || text[i] != '.') {
        return false;
      }
      ++i;
    }
    const size_t start = i;
    unsigned n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      n = n * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    if (i == start || n > 255 || (i - start > 1 && text[start] == '0')) {
      return false;
    }
    a.bytes[octet] = static_cast<uint8_t>(n);
  }
  if (i != text.size()) {
    return false;
  }
  a.ipv6 = false;
  a.text = std::string(text);
  return true;
}

}  // namespace

std::optional<Address> parse_address(std::string_view text) {
  if (Address a; parse_dotted_quad(text, a)) {
    return a;
  }
  // inet_pton needs a NUL-terminated string; the longest IPv6 literal is 45 characters.
  if (text.empty() || text.size() > 45) {
    return std::nullopt;
  }
  std::string s(text);
  Address a;
  char canonical[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.ipv6 = false;
    inet_ntop(AF_INET, a.bytes.data(), canonical, sizeof canonical);
  } else if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.ipv6 = true;
    inet_ntop(AF_INET6, a.bytes.data(), canonical, sizeof canonical);
  } else {
    return std::nullopt;
  }
  a.text = canonical;
  return a;
}

std::optional<std::string> normalize_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
    return std::nullopt;
  }
  std::string out;
  out.reserve(label.size());
  for (char c : label) {
    auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-') {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

std::string validate_details(const Instance& inst) {
  constexpr size_t kMaxTxtString = 255;  // RFC 1035 §3.3.14 <character-string>
  constexpr size_t kMaxEntries = 64;     // keeps one instance's TXT well inside a UDP answer
  if (inst.tags.size() > kMaxEntries) {
    return "too many tags (at most 64)";
  }
  for (const auto& t : inst.tags) {
    if (t.empty() || t.size() > kMaxTxtString) {
      return "each tag must be 1-255 bytes";
    }
  }
  if (inst.meta.size() > kMaxEntries) {
    return "too many meta entries (at most 64)";
  }
  for (const auto& [k, v] : inst.meta) {
    if (k.empty() || k.find('=') != std::string::npos) {
      return "meta keys must be non-empty and contain no '='";
    }
    if (k.size() + 1 + v.size() > kMaxTxtString) {
      return "meta entry '" + k + "' is too long: key=value must fit in 255 bytes";
    }
  }
  return {};
}

}  // namespace srvd::registry

namespace srvd::registry {
namespace {

/// "HOST:PORT" with HOST an IP literal ([...] for IPv6) or localhost; false otherwise.
bool valid_host_port(std::string_view hp) {
  std::string_view host;
  std::string_view port;
  if (!hp.empty() && hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') {
      return false;
    }
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
    auto a = parse_address(host);
    if (!a || !a->ipv6) {
      return false;
    }
  } else {
    auto colon = hp.rfind(':');
    if (colon == std::string_view::npos) {
      return false;
    }
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
    auto a = parse_address(host);
    if (host != "localhost" && (!a || a->ipv6)) {
      return false;
    }
  }
  if (port.empty() || port.size() > 5) {
    return false;
  }
  unsigned n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535;
}

}  // namespace

std::string validate_check(const CheckSpec& check) {
  if (check.kind == CheckSpec::Kind::http) {
    constexpr std::string_view kScheme = "http://";
    std::string_view t = check.target;
    if (!t.starts_with(kScheme)) {
      return "check http must be a URL http://HOST:PORT/path (HOST an IP address or localhost)";
    }
    t.remove_prefix(kScheme.size());
    auto slash = t.find('/');
    auto hp = t.substr(0, slash);
    if (!valid_host_port(hp)) {
      return "check http must be a URL http://HOST:PORT/path (HOST an IP address or localhost)";
    }
    for (char c : t) {
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
        return "check http URL must not contain spaces or control characters";
      }
    }
  } else if (!valid_host_port(check.target)) {
    return "check tcp must be HOST:PORT (HOST an IP address or localhost)";
  }
  if (check.interval_ms < 100 || check.timeout_ms < 100) {
    return "check interval and timeout must be at least 100ms";
  }
  if (check.rise < 1 || check.rise > 100 || check.fall < 1 || check.fall > 100) {
    return "check rise and fall must be 1-100";
  }
  return {};
}

std::variant<Instance, std::string> validate_instance(Instance inst) {
  auto service = normalize_label(inst.service);
  if (!service) {
    return "invalid service name '" + inst.service +
           "': must be a DNS label (letters, digits, hyphens; at most 63)";
  }
  if (*service == "ns") {
    return std::string("service name 'ns' is reserved for the zone's name server");
  }
  auto id = normalize_label(inst.id);
  if (!id) {
    return "invalid instance id '" + inst.id +
           "': must be a DNS label (letters, digits, hyphens; at most 63)";
  }
  if (inst.port == 0) {
    return std::string("port must be 1-65535");
  }
  if (auto err = validate_details(inst); !err.empty()) {
    return err;
  }
  if (inst.ttl_ms != 0 && inst.ttl_ms < 1000) {
    return std::string("ttl must be at least 1s");
  }
  if (inst.deregister_after_ms != 0 && inst.deregister_after_ms < 1000) {
    return std::string("deregister_after must be at least 1s");
  }
  if (inst.deregister_after_ms != 0 && inst.ttl_ms == 0 && !inst.check) {
    return std::string("deregister_after needs a ttl or a check (nothing else makes it critical)");
  }
  if (inst.check) {
    if (auto err = validate_check(*inst.check); !err.empty()) {
      return err;
    }
  }
  inst.service = std::move(*service);
  inst.id = std::move(*id);
  return inst;
}

}  // namespace srvd::registry
