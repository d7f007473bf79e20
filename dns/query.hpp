// query.hpp -- parsing an incoming query: header, the one question, and its EDNS OPT record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/wire.hpp"

namespace srvd::dns {

/// The client's EDNS0 parameters (RFC 6891 §6.1.2).
struct Edns {
  bool present = false;
  uint16_t payload = 0;  ///< the client's UDP payload size as sent
  uint8_t version = 0;
  bool dnssec_ok = false;
};

/// A parsed query. Fixed-size, so parsing never allocates.
struct Question {
  uint16_t id = 0;
  uint16_t flags = 0;  ///< the query's header flags word, as received
  /// The QNAME in lowercase wire form (for matching); the query's own spelling stays in the
  /// packet and is echoed from there (0x20, draft-vixie-dnsext-dns0x20).
  /// Left uninitialized (only the first `name_size` bytes are ever read): zeroing these
  /// 382 bytes for every query showed in the profile.
  std::array<uint8_t, kMaxNameSize> name;
  uint16_t name_size = 0;  ///< bytes used in `name`, including the root label
  /// Offset in `name` of each label, leftmost first; the root is not counted.
  std::array<uint8_t, kMaxLabels> label_offsets;
  uint8_t label_count = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  /// End of the question section in the query: bytes [12, question_end) are echoed verbatim.
  /// 0 when the question could not be parsed.
  size_t question_end = 0;
  Edns edns;

  uint8_t opcode() const { return static_cast<uint8_t>((flags >> 11) & 0x0F); }
  /// Label `i` (0 = leftmost) of the lowercase name, without its length byte.
  std::string_view label(size_t i) const;
  /// The lowercase name from label `i` to the root, in wire form.
  std::span<const uint8_t> suffix(size_t i) const;
};

/// What to do with a packet after parsing, in the order of checks in STYLE §19 (NSD's).
enum class ParseStatus : uint8_t {
  ok,       ///< a well-formed query: look it up
  drop,     ///< no usable header (< 12 bytes) or QR set: never answer
  notimp,   ///< opcode other than QUERY (RFC 1035 §4.1.1)
  formerr,  ///< QDCOUNT != 1, bad name, truncated sections, several OPTs (RFC 6891 §6.1.1)
  badvers,  ///< EDNS version we do not implement (RFC 6891 §6.1.3)
};

/// Parses `in` into `q`. Fills `q.id` and `q.flags` whenever the status is not `drop`, the
/// question when it parses, and `q.edns` for `ok` and `badvers` (and for `notimp` when the
/// rest of the message parses; else `question_end` is 0). Trailing bytes after the
/// sections the header declares are ignored, as NSD does. Never allocates.
ParseStatus parse_query(std::span<const uint8_t> in, Question& q);

/// Index in `q`'s name of the label where `origin` (lowercase wire) starts, or -1 if the
/// name is not at or below it. Allocation-free; used to find the zone a query falls in.
int suffix_label(const Question& q, std::span<const uint8_t> origin);

}  // namespace srvd::dns
