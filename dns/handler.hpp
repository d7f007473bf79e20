// handler.hpp -- the whole query pipeline as one pure function: bytes in, response bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/srv_sample.hpp"
#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

enum class Transport : uint8_t { udp, tcp };

/// Per-loop counters: plain integers, read only by their loop or after it has stopped
/// (PowerDNS tcounters). `queries` counts every packet handed to handle_query.
struct QueryCounters {
  uint64_t queries = 0;
  uint64_t dropped = 0;  ///< no answer: runt packet or QR set
  uint64_t noerror = 0;
  uint64_t nxdomain = 0;
  uint64_t refused = 0;
  uint64_t formerr = 0;
  uint64_t notimp = 0;
  uint64_t badvers = 0;
  uint64_t truncated = 0;    ///< answers sent with TC set
  uint64_t send_failed = 0;  ///< UDP answers dropped by the kernel (EAGAIN/ENOBUFS)
};

/// State a loop carries from query to query. Not thread-safe: one per loop.
struct QueryContext {
  uint16_t edns_payload = kDefaultEdnsPayload;  ///< our UDP payload size (RFC 6891 §6.2.5)
  uint64_t rotation = 0;  ///< advances per answered query; rotates A and SRV RRsets
  QueryCounters counters;
  /// Names outside every zone go to the forwarder (--upstream) instead of REFUSED.
  bool forwarding = false;
  /// Set by handle_query when it returned 0 because the query is for the forwarder.
  bool forward = false;
  SrvSampler sampler;  ///< picks the SRV records kept when an RRset does not fit (~42 KiB)
};

/// Answers the DNS message `in` from `snapshot` into `out`, in NSD's order of checks: drop a
/// runt or a response, NOTIMP for opcodes other than QUERY, FORMERR for malformed queries,
/// BADVERS for EDNS versions above 0, REFUSED for classes other than IN, zone transfers and
/// names outside the domain; otherwise an authoritative answer.
/// The message limit is 65535 over TCP; over UDP 512, or the client's EDNS payload size
/// clamped to [512, ctx.edns_payload] (RFC 6891 §6.2.5). Also bounded by `out.size()`.
/// Returns the response size, or 0 when nothing must be sent. Allocation-free.
size_t handle_query(const registry::Snapshot& snapshot, std::span<const uint8_t> in,
                    std::span<uint8_t> out, Transport transport, QueryContext& ctx);

}  // namespace srvd::dns
