// stored_canonical.hpp -- the fast reader for documents exactly as to_stored_json writes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/instance.hpp"

namespace srvd::registry {

/// Reads `doc` in one pass, without building a JSON tree, when it is exactly what
/// to_stored_json writes: its keys in its order, no whitespace, strings of printable ASCII
/// without escapes, plain non-negative integers, and every field one that the general reader
/// (from_stored_json's nlohmann path) would accept. `service` and `id` are the key's labels,
/// already normalized. The result is the instance the general reader would build, before
/// validate_instance. nullopt for anything else -- the caller then reads `doc` with the
/// general reader, which gives the same instance or the error -- so a document this reader
/// does not take costs the time spent finding that out and nothing more.
std::optional<Instance> read_canonical_document(std::string_view doc, const std::string& service,
                                                const std::string& id);

}  // namespace srvd::registry
