// handler.cpp -- parse, look up, encode: the hot path shared by the UDP and TCP listeners.
#include "dns/handler.hpp"

#include <algorithm>

#include "dns/answer.hpp"
#include "dns/query.hpp"
#include "dns/response.hpp"

namespace srvd::dns {

namespace {

size_t message_limit(const Question& q, Transport transport, const QueryContext& ctx) {
  if (transport == Transport::tcp) {
    return kMaxMessageSize;
  }
  if (!q.edns.present) {
    return kClassicUdpPayload;
  }
  // RFC 6891 §6.2.5: values below 512 are treated as 512.
  uint16_t ours = std::max(ctx.edns_payload, kClassicUdpPayload);
  return std::clamp(q.edns.payload, kClassicUdpPayload, ours);
}

void count(QueryCounters& c, const Answer& a, size_t size, const uint8_t* out) {
  switch (a.rcode) {
    case rcode::NoError:
      ++c.noerror;
      break;
    case rcode::NxDomain:
      ++c.nxdomain;
      break;
    case rcode::Refused:
      ++c.refused;
      break;
    case rcode::BadVers:
      ++c.badvers;
      break;
    default:
      break;
  }
  if (size >= kHeaderSize && (get16(out + 2) & flag::TC) != 0) {
    ++c.truncated;
  }
}

}  // namespace

size_t handle_query(const registry::Snapshot& snapshot, std::span<const uint8_t> in,
                    std::span<uint8_t> out, Transport transport, QueryContext& ctx) {
  ++ctx.counters.queries;
  ctx.forward = false;
  Question q;
  Answer a;
  switch (parse_query(in, q)) {
    case ParseStatus::drop:
      ++ctx.counters.dropped;
      return 0;
    case ParseStatus::notimp:
      ++ctx.counters.notimp;
      if (q.question_end == 0) {
        return encode_header_only(q, rcode::NotImp, out);
      }
      a = Answer{.rcode = rcode::NotImp, .authoritative = false};  // question and OPT echoed
      break;
    case ParseStatus::formerr:
      ++ctx.counters.formerr;
      return encode_header_only(q, rcode::FormErr, out);
    case ParseStatus::badvers:
      a = Answer{.rcode = rcode::BadVers, .authoritative = false};
      break;
    case ParseStatus::ok:
      if (q.qclass != kClassIn || q.qtype == type::AXFR || q.qtype == type::IXFR) {
        a = Answer{.rcode = rcode::Refused, .authoritative = false};
      } else {
        a = lookup(snapshot, q);
        if (a.rcode == rcode::Refused && ctx.forwarding) {
          ctx.forward = true;  // outside every zone: the forwarder answers (dns/forwarder.hpp)
          return 0;
        }
      }
      break;
  }
  EncodeOptions options{.limit = message_limit(q, transport, ctx),
                        .edns_payload = ctx.edns_payload,
                        .rotation = ctx.rotation++,
                        .sampler = &ctx.sampler};
  size_t n = encode_response(snapshot, q, in, a, out, options);
  count(ctx.counters, a, n, out.data());
  return n;
}

}  // namespace srvd::dns
