// instance_view.hpp -- how the client commands show instances: one-line summaries and tables.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace srvd {

/// "127.0.0.1:9001" or "[::1]:9001" from an instance object of the API.
std::string address_port(const nlohmann::json& instance);

/// "healthy", or "critical (TTL expired)": the status and what explains it (the operator's
/// reason for maintenance, else the last check's output).
std::string status_text(const nlohmann::json& instance);

/// The `srvd list` table of every instance in `services` (the array of `GET /v1/services`),
/// one row each: SERVICE ID ADDRESS STATUS SOURCE OUTPUT, columns padded to fit.
std::string instance_table(const nlohmann::json& services);

}  // namespace srvd
