// instance_json.hpp -- Instance and request bodies to and from JSON, checking types only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "registry/instance.hpp"

namespace srvd::api {

/// A body read into `T`, or the message of the 400 that explains why it could not be.
template <class T>
using Parsed = std::variant<T, std::string>;

/// RFC 3339 UTC with milliseconds, e.g. "2026-11-28T18:00:00.123Z".
std::string format_time_ms(int64_t unix_ms);
/// The same text appended to `out`. The date and time of day are formatted once per second
/// (per thread) and reused: every write's response carries two or three times of the same second.
void append_time_ms(std::string& out, int64_t unix_ms);

/// The contract's instance object, keys in the contract's order (service, id, address, ...).
nlohmann::ordered_json instance_to_json(const registry::Instance& instance);

/// Appends instance_to_json(instance) as compact JSON text, byte for byte what
/// `.dump(-1, ' ', false, error_handler_t::replace)` gives, without building the JSON tree:
/// the hot path of every write's response and of the list reads.
void append_instance_json(std::string& out, const registry::Instance& instance);

/// Reads the body of `PUT /v1/services/{service}/instances/{id}`. Checks JSON types,
/// integer ranges, unknown fields and the address literal; `service` and `id` come from the
/// URL and are left for the registry to validate as DNS labels. Never throws.
Parsed<registry::Instance> instance_from_json(const nlohmann::json& body, std::string_view service,
                                              std::string_view id);

/// The body of `PUT .../status`.
struct StatusChange {
  registry::Status status = registry::Status::healthy;
  std::string reason;
};
Parsed<StatusChange> status_from_json(const nlohmann::json& body);

}  // namespace srvd::api
