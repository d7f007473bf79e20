// verdict.hpp -- turning what a probe saw into a CheckResult (the wording users read in the API).
#pragma once

#include <optional>
#include <string_view>

#include "registry/health.hpp"

namespace srvd::health {

/// The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK", RFC 9112 §4), or nullopt
/// when `line` (without its CRLF) is not one.
std::optional<int> parse_status_line(std::string_view line);

/// 2xx → healthy, 429 (Too Many Requests: alive but shedding load) → warning, anything else →
/// critical; output "HTTP <code>".
registry::CheckResult http_verdict(int status_code);

/// critical with `output` as given ("connect: connection refused", "timeout after 1s").
registry::CheckResult failure(std::string output);

}  // namespace srvd::health
