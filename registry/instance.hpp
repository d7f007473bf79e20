// instance.hpp -- the registered service instance and the rules it must satisfy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace srvd::registry {

enum class Protocol : uint8_t { tcp, udp };

/// healthy and warning instances are served in DNS; critical and maintenance are not.
enum class Status : uint8_t { healthy, warning, critical, maintenance };

/// An IP literal, kept both as network-order bytes (for DNS) and canonical text (for JSON).
struct Address {
  bool ipv6 = false;
  std::array<uint8_t, 16> bytes{};  ///< first 4 bytes used for IPv4
  std::string text;                 ///< canonical form from inet_ntop
  bool operator==(const Address& o) const { return ipv6 == o.ipv6 && bytes == o.bytes; }
};

struct Instance {
  std::string service;  ///< lowercase DNS label
  std::string id;       ///< lowercase DNS label
  Address address;
  uint16_t port = 0;
  Protocol protocol = Protocol::tcp;
  uint16_t priority = 1;  // Consul's SRV defaults
  uint16_t weight = 1;
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  Status status = Status::healthy;
  std::string status_reason;     ///< operator's note with a status change, may be empty
  int64_t registered_at_ms = 0;  ///< Unix time of first registration
  int64_t updated_at_ms = 0;     ///< Unix time of the last change of any kind
  uint64_t create_index = 0;     ///< change index that created it
  uint64_t modify_index = 0;     ///< change index of its last change
};

inline bool is_served(Status s) { return s == Status::healthy || s == Status::warning; }

std::string_view to_string(Protocol p);
std::string_view to_string(Status s);
std::optional<Protocol> parse_protocol(std::string_view s);
std::optional<Status> parse_status(std::string_view s);

/// Parses an IPv4 or IPv6 literal (no brackets, no zone id). nullopt if it is not one.
std::optional<Address> parse_address(std::string_view text);

/// Returns the label lowercased, or nullopt unless it is 1-63 letters, digits and hyphens
/// that neither start nor end with a hyphen (RFC 1123 host label).
std::optional<std::string> normalize_label(std::string_view label);

/// Checks the parts of an instance that are not enforced by its types: tags and meta fit in
/// DNS TXT strings (RFC 1035 §3.3.14: 255 bytes each). Returns an error message, or empty.
std::string validate_details(const Instance& inst);

}  // namespace srvd::registry
