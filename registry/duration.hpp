// duration.hpp -- Go-style duration strings ("500ms", "10s", "1m30s") used in JSON bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace srvd::registry {

/// Parses one or more <digits><unit> groups, unit one of ms, s, m, h ("1m30s" = 90000).
/// Returns milliseconds, or nullopt for anything else (empty, no unit, sign, fraction,
/// overflow past ~10 years).
std::optional<uint64_t> parse_duration(std::string_view text);

/// The canonical form that parse_duration reads back: whole seconds as h/m/s with zero parts
/// omitted ("1m30s", "1h"), anything else in ms ("500ms", "1500ms"); "0s" for 0.
std::string format_duration(uint64_t ms);

}  // namespace srvd::registry
