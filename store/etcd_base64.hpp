// etcd_base64.hpp -- RFC 4648 base64, the encoding of keys and values in etcd's JSON gateway.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace srvd::store {

/// Standard alphabet with '=' padding (RFC 4648 §4), as grpc-gateway writes `bytes` fields.
std::string base64_encode(std::string_view bytes);
/// nullopt on a character outside the alphabet or a length that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace srvd::store
