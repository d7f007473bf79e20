// plain_instance_json.hpp -- the common registration body read without a JSON tree.
#pragma once

#include <optional>
#include <string_view>

#include "registry/instance.hpp"

namespace srvd::api {

/// Reads the body of `PUT /v1/services/{service}/instances/{id}` when it is the plain kind
/// nearly every registration sends: one flat object of address, port, protocol, priority,
/// weight, service and id, strings of printable ASCII without escapes, integers as digits.
/// Gives exactly what instance_from_json(json::parse(body), service, id) gives for it, without
/// the JSON tree (a map node and a string per field, ~10k instructions a write).
/// nullopt for anything else -- other fields, escapes, duplicates, and every invalid body --
/// which the caller then reads the full way, so the messages of a 400 come from one place.
std::optional<registry::Instance> plain_instance_from_json(std::string_view body,
                                                           std::string_view service,
                                                           std::string_view id);

}  // namespace srvd::api
