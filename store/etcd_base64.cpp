// etcd_base64.cpp -- RFC 4648 base64 for etcd's JSON gateway.
#include "store/etcd_base64.hpp"

#include <array>
#include <cstdint>

namespace srvd::store {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// -1 for bytes outside the alphabet; built once from kAlphabet so the two cannot disagree.
constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  table.fill(-1);
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16 |
                       uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8 |
                       uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) {
      n |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    }
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') {
      return std::nullopt;  // "x=y=" is not padding
    }
    uint32_t n = 0;
    for (int j = 0; j < 4 - pad; ++j) {
      const int8_t v = kDecode[static_cast<uint8_t>(text[i + j])];
      if (v < 0) {
        return std::nullopt;
      }
      n |= static_cast<uint32_t>(v) << (18 - 6 * j);
    }
    out += static_cast<char>(n >> 16 & 0xff);
    if (pad < 2) {
      out += static_cast<char>(n >> 8 & 0xff);
    }
    if (pad < 1) {
      out += static_cast<char>(n & 0xff);
    }
  }
  return out;
}

}  // namespace srvd::store
