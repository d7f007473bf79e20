// instance.hpp -- the registered service instance and the rules it must satisfy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace srvd::registry {

enum class Protocol : uint8_t { tcp, udp };

/// healthy and warning instances are served in DNS; critical and maintenance are not.
enum class Status : uint8_t { healthy, warning, critical, maintenance };

/// Where a registration came from: the HTTP API, or the services file (which a reload may
/// update or remove; it never touches the API's).
enum class Source : uint8_t { api, file };

/// An active check as registered (`"check": {...}` in the API and the services file).
struct CheckSpec {
  enum class Kind : uint8_t { http, tcp };
  Kind kind = Kind::http;
  std::string target;            ///< http: "http://host:port/path"; tcp: "host:port"
  uint32_t interval_ms = 10000;  ///< between the starts of two runs
  uint32_t timeout_ms = 2000;    ///< a run that takes longer is critical
  uint16_t rise = 1;             ///< passing runs in a row that make a failing instance healthy
  uint16_t fall = 1;             ///< failing runs in a row that make a healthy instance critical
  bool operator==(const CheckSpec&) const = default;
};

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
  Status status = Status::healthy;  ///< effective: maintenance if the operator set it, else health
  std::string status_reason;        ///< operator's note with a status change, may be empty
  Source source = Source::api;
  uint64_t ttl_ms = 0;               ///< heartbeat interval it promised; 0: none
  uint64_t deregister_after_ms = 0;  ///< removed after this long critical; 0: never
  std::optional<CheckSpec> check;

  // Health state, owned by the Registry (ignored in what callers pass to upsert).
  bool maintenance = false;          ///< the operator's override: out of DNS whatever health says
  Status health = Status::healthy;   ///< from checks, or set by the operator when it has none
  bool ttl_expired = false;          ///< a heartbeat was missed: critical whatever health says
  uint16_t passes = 0;               ///< check runs in a row that passed (rise)
  uint16_t failures = 0;             ///< check runs in a row that failed (fall)
  std::string check_output;          ///< last check's verdict, "TTL expired", "pending first check"
  int64_t checked_at_ms = 0;         ///< Unix ms of the last check run; 0: never
  int64_t heartbeat_at_ms = 0;       ///< Unix ms of the last heartbeat (or registration); 0: none
  int64_t status_changed_at_ms = 0;  ///< Unix ms of the last change of `status`
  int64_t unserved_at_ms = 0;        ///< when it last left DNS; 0: never served since
  int64_t registered_at_ms = 0;      ///< Unix time of first registration
  int64_t updated_at_ms = 0;         ///< Unix time of the last change of any kind
  uint64_t create_index = 0;         ///< change index that created it
  uint64_t modify_index = 0;         ///< change index of its last change

  /// The Registry's bookkeeping, not part of the instance: the time of its entry in the
  /// Registry's deadline queue (0: none). Copies carry a stale value, which the Registry
  /// ignores when an instance comes back to it (restore, roll-back, a store's change).
  int64_t deadline_queued_ms = 0;
};

inline bool is_served(Status s) { return s == Status::healthy || s == Status::warning; }

std::string_view to_string(Protocol p);
std::string_view to_string(Status s);
std::string_view to_string(Source s);
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

/// Checks a check's target and timings: http "http://HOST:PORT/path" and tcp "HOST:PORT",
/// HOST an IP literal ([...] for IPv6) or "localhost"; interval and timeout at least 100 ms,
/// rise and fall 1-100. Returns an error message, or empty.
std::string validate_check(const CheckSpec& check);

/// Every rule a registered instance must satisfy: service and id DNS labels (lowercased in
/// the result; "ns" is reserved), a port, validate_details, ttl/deregister_after at least 1s
/// (deregister_after only with a ttl or check), validate_check. The message on failure.
std::variant<Instance, std::string> validate_instance(Instance inst);

}  // namespace srvd::registry
