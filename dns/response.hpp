// response.hpp -- encoding a response message from a lookup result into a caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/answer.hpp"
#include "dns/query.hpp"
#include "dns/srv_sample.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

struct EncodeOptions {
  size_t limit = kClassicUdpPayload;            ///< largest message allowed (UDP payload or 65535)
  uint16_t edns_payload = kDefaultEdnsPayload;  ///< advertised in our OPT (RFC 6891 §6.2.3)
  uint64_t rotation = 0;  ///< per-query counter; picks the RRset's first record
  /// Chooses the SRV records of an RRset that does not fit (dns/srv_sample.hpp); when null,
  /// such an RRset is cut in rotation order.
  SrvSampler* sampler = nullptr;
};

/// Writes the full response to `q` (parsed from `query`) into `out`: header, the question
/// echoed verbatim, then answer, authority and additional, and an OPT when the query had one.
/// An answer RRset that does not fit in `limit` is cut at a record boundary and TC set; glue
/// that does not fit is left out. Returns the message size. `out` must hold 12 bytes.
size_t encode_response(const registry::Snapshot& snapshot, const Question& q,
                       std::span<const uint8_t> query, const Answer& answer, std::span<uint8_t> out,
                       const EncodeOptions& options);

/// Writes a header-only response with `rcode` (FORMERR, NOTIMP): the ID, opcode, RD and CD
/// of the query, all counts zero. Returns 12, or 0 if `out` is too small.
size_t encode_header_only(const Question& q, uint8_t rcode, std::span<uint8_t> out);

}  // namespace srvd::dns
