// stored_instance.hpp -- an Instance as a JSON document: what both stores keep per instance.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "registry/instance.hpp"

namespace srvd::registry {

/// The document for `inst`: the seed article's ServiceInstance fields first -- "id", "name"
/// (the service), "address", "port", "metadata" (the meta map), "status" ("UP" when served,
/// "DOWN" otherwise, as the article's clients read it) -- then srvd's own fields under "srvd":
/// protocol, priority, weight, tags, ttl_ms, deregister_after_ms, check, source, and the
/// health state (status as srvd names it, reason, maintenance, health, ttl_expired, passes,
/// failures, check_output, checked_at_ms, status_changed_at_ms, unserved_at_ms,
/// registered_at_ms, updated_at_ms). Not stored: heartbeat_at_ms (a restart opens a fresh TTL
/// window) and the change indexes (each process counts its own).
std::string to_stored_json(const Instance& inst);

/// Reads a document written by to_stored_json, or by another program with only the article's
/// fields: "name" and "id" default to `service`/`id` (the key it was found under) and must
/// match them if present; "address" (IP literal) and "port" are required; "metadata" is an
/// object of strings; "status" "UP"/"DOWN" (or srvd's names) sets the health of an instance
/// without "srvd". The result passes Registry::validate. An error message on anything else.
/// srvd's own documents are read without a JSON tree (stored_canonical.hpp); every other
/// one, and every error, goes through the general reader below.
std::variant<Instance, std::string> from_stored_json(std::string_view doc, std::string_view service,
                                                     std::string_view id);

/// from_stored_json through the general reader alone (an nlohmann tree): the reference that
/// tests hold the fast path to.
std::variant<Instance, std::string> from_stored_json_via_tree(std::string_view doc,
                                                              std::string_view service,
                                                              std::string_view id);

}  // namespace srvd::registry
