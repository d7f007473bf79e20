// plain_instance_json.cpp -- the common registration body read without a JSON tree.
#include "api/plain_instance_json.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace srvd::api {
namespace {

/// A reader over the body that gives up (nullopt) at anything outside the plain subset.
struct Reader {
  std::string_view s;
  size_t i = 0;

  void skip_space() {
    // RFC 8259's whitespace, the set nlohmann accepts.
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
      ++i;
    }
  }
  bool eat(char c) {
    skip_space();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  /// A string of printable ASCII: no escapes, controls or UTF-8 to decode or check.
  std::optional<std::string_view> string() {
    skip_space();
    if (i >= s.size() || s[i] != '"') {
      return std::nullopt;
    }
    const size_t start = ++i;
    for (; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') {
        return s.substr(start, i++ - start);
      }
      if (c < 0x20 || c >= 0x7f || c == '\\') {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }
  /// A JSON integer from 0 to 65535 written as digits (no sign, fraction or exponent; no
  /// leading zero, which JSON forbids).
  std::optional<uint16_t> u16() {
    skip_space();
    const size_t start = i;
    uint32_t n = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      n = n * 10 + static_cast<uint32_t>(s[i] - '0');
      if (n > 65535) {
        return std::nullopt;
      }
    }
    const size_t digits = i - start;
    if (digits == 0 || (digits > 1 && s[start] == '0')) {
      return std::nullopt;
    }
    if (i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) {
      return std::nullopt;  // a float: the full reader refuses it, with its message
    }
    return static_cast<uint16_t>(n);
  }
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

enum Field : unsigned {
  kAddress = 1,
  kPort = 2,
  kProtocol = 4,
  kPriority = 8,
  kWeight = 16,
  kService = 32,
  kId = 64,
};

Field field_of(std::string_view key) {
  if (key == "address") return kAddress;
  if (key == "port") return kPort;
  if (key == "protocol") return kProtocol;
  if (key == "priority") return kPriority;
  if (key == "weight") return kWeight;
  if (key == "service") return kService;
  if (key == "id") return kId;
  return Field{0};
}

}  // namespace

std::optional<registry::Instance> plain_instance_from_json(std::string_view body,
                                                           std::string_view service,
                                                           std::string_view id) {
  Reader r{body};
  if (!r.eat('{')) {
    return std::nullopt;
  }
  registry::Instance inst;
  inst.service = std::string(service);
  inst.id = std::string(id);
  unsigned seen = 0;
  do {
    const auto key = r.string();
    if (!key || !r.eat(':')) {
      return std::nullopt;
    }
    const Field f = field_of(*key);
    if (f == 0 || (seen & f) != 0) {
      return std::nullopt;  // another field, or a duplicate (the full reader decides which wins)
    }
    seen |= f;
    if (f == kPort || f == kPriority || f == kWeight) {
      const auto n = r.u16();
      if (!n || (f == kPort && *n == 0)) {
        return std::nullopt;
      }
      (f == kPort ? inst.port : f == kPriority ? inst.priority : inst.weight) = *n;
      continue;
    }
    const auto text = r.string();
    if (!text) {
      return std::nullopt;
    }
    if (f == kAddress) {
      auto address = registry::parse_address(*text);
      if (!address) {
        return std::nullopt;
      }
      inst.address = std::move(*address);
    } else if (f == kProtocol) {
      const auto p = registry::parse_protocol(*text);
      if (!p) {
        return std::nullopt;
      }
      inst.protocol = *p;
    } else if (!iequals(*text, f == kService ? service : id)) {
      return std::nullopt;
    }
  } while (r.eat(','));
  if (!r.eat('}')) {
    return std::nullopt;
  }
  r.skip_space();
  if (r.i != body.size() || (seen & (kAddress | kPort)) != (kAddress | kPort)) {
    return std::nullopt;
  }
  return inst;
}

}  // namespace srvd::api
