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

std::optional<Address> parse_address(std::string_view text) {
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
