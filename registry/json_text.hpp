// json_text.hpp -- JSON strings written directly, byte for byte as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes them, without building a JSON tree.
// Used by the stored documents (registry/stored_instance.cpp) and the HTTP API's responses
// (api/instance_json.cpp), which are on the write path of every registration.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace srvd::registry {

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
/// nothing above U+10FFFF): the text nlohmann's dump passes through unchanged.
bool is_utf8(std::string_view s);

/// Appends `s` as a JSON string: `"` and `\` escaped, \b \f \n \r \t by name, other control
/// bytes as \u00xx, everything else as is (no ASCII escaping). Text that is not UTF-8 (a
/// check's output can be anything) goes through nlohmann, which replaces the bad bytes.
void append_json_string(std::string& out, std::string_view s);

/// `["a","b"]`: tags, as both the stored documents and the API write them.
void append_json_strings(std::string& out, const std::vector<std::string>& list);

/// `{"k":"v",...}` in key order: metadata, as both the stored documents and the API write it.
void append_json_string_map(std::string& out, const std::map<std::string, std::string>& map);

}  // namespace srvd::registry
