// response.cpp -- assembles responses by memcpy of prerendered RDATA, with name compression.
#include "dns/response.hpp"

#include <cstring>

#include "dns/dnssd.hpp"
#include "dns/static_answer.hpp"

namespace srvd::dns {

namespace {

using registry::Apex;
using registry::ServedInstance;

constexpr uint16_t kQnameOffset = kHeaderSize;  // the question's name: target of 0xC00C
constexpr uint8_t kRootName[] = {0};
constexpr size_t kSrvTargetOffset = 6;  // priority, weight, port precede the target

struct Counts {
  uint16_t an = 0;
  uint16_t ns = 0;
  uint16_t ar = 0;
  bool tc = false;
};

// A compression pointer when the offset is reachable in 14 bits, else the name itself.
OwnerName owner_at(size_t offset, std::span<const uint8_t> name) {
  if (offset > 0 && offset < kPointerLimit) {
    return {static_cast<uint16_t>(offset), {}};
  }
  return {0, name};
}

void write_header(uint8_t* p, const Question& q, uint16_t qdcount, const Answer& a,
                  const Counts& c) {
  // Opcode, RD and CD come from the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6); RA stays clear
  // because we never recurse, AD because we do not validate.
  uint16_t flags = static_cast<uint16_t>(flag::QR | (q.flags & (0x7800 | flag::RD | flag::CD)) |
                                         (a.rcode & 0x0F));
  if (a.authoritative) {
    flags |= flag::AA;
  }
  if (c.tc) {
    flags |= flag::TC;
  }
  put16(p, q.id);
  put16(p + 2, flags);
  put16(p + 4, qdcount);
  put16(p + 6, c.an);
  put16(p + 8, c.ns);
  put16(p + 10, c.ar);
}

// Walks `svc`'s instances of one protocol from a rotated start, calling fn(instance) until
// it returns false; the same order serves the SRV records and, later, their glue.
template <class Fn>
void for_each_srv(const Answer& a, uint64_t rotation, Fn&& fn) {
  const auto& all = a.service->instances;
  size_t n = all.size();
  size_t start = n != 0 ? static_cast<size_t>(rotation % n) : 0;
  for (size_t k = 0; k < n; ++k) {
    const ServedInstance& inst = all[(start + k) % n];
    if (inst.udp == a.srv_udp && !fn(inst)) {
      return;
    }
  }
}

// Copies rotated records [k, n) then [0, k) of a prerendered section to `p`.
void copy_rotated(uint8_t* p, const std::vector<uint8_t>& records,
                  const std::vector<uint32_t>& at, size_t k) {
  size_t tail = records.size() - at[k];
  std::memcpy(p, records.data() + at[k], tail);
  std::memcpy(p + tail, records.data(), at[k]);
}

// The whole SRV answer from its prerendered form (registry::SrvAnswer) when it fits with all
// its glue and every target stays within reach of a compression pointer; false otherwise,
// and nothing is written. The bytes are those the record-by-record path writes.
bool write_srv_prerendered(MessageWriter& w, const Answer& a, uint32_t ttl, uint64_t rotation,
                           Counts& c) {
  const registry::SrvAnswer& pre = a.service->srv_answer[a.srv_udp ? 1 : 0];
  size_t n = pre.count();
  size_t base = w.size();
  if (n == 0 || !w.fits(pre.srv.size() + pre.glue.size()) ||
      base + pre.srv.size() >= kPointerLimit) {
    return false;
  }
  size_t k = static_cast<size_t>(rotation % n);  // every instance is of this protocol
  uint8_t* srv = w.grow(pre.srv.size());
  uint8_t* glue = w.grow(pre.glue.size());
  copy_rotated(srv, pre.srv, pre.srv_at, k);
  copy_rotated(glue, pre.glue, pre.glue_at, k);
  size_t s = 0;  // offsets within the copied sections
  size_t g = 0;
  for (size_t j = 0; j < n; ++j) {
    size_t i = k + j < n ? k + j : k + j - n;
    put32(srv + s + 6, ttl);  // after the owner pointer, type and class
    put16(glue + g, static_cast<uint16_t>(0xC000 | (base + s + 12 + kSrvTargetOffset)));
    put32(glue + g + 6, ttl);
    s += pre.srv_at[i + 1] - pre.srv_at[i];
    g += pre.glue_at[i + 1] - pre.glue_at[i];
  }
  c.an = static_cast<uint16_t>(n);
  c.ar = static_cast<uint16_t>(n);
  return true;
}

void write_srv(MessageWriter& w, const Answer& a, const Apex& apex, uint64_t rotation,
               SrvSampler* sampler, Counts& c) {
  if (write_srv_prerendered(w, a, apex.ttl, rotation, c)) {
    return;
  }
  // An RRset too big for the message: the records kept follow priority and weight (RFC 2782),
  // not their place in the list, and without glue (the client retries over TCP).
  if (sampler != nullptr && sampler->write_truncated(w, *a.service, a.srv_udp, apex.ttl, c.an)) {
    c.tc = true;
    return;
  }
  size_t first_rdata = 0;
  for_each_srv(a, rotation, [&](const ServedInstance& inst) {
    size_t off = w.record({kQnameOffset, {}}, type::SRV, apex.ttl, inst.srv_rdata);
    if (off == 0) {
      c.tc = true;
      return false;
    }
    first_rdata = first_rdata != 0 ? first_rdata : off;
    ++c.an;
    return true;
  });
  if (c.tc) {
    return;
  }
  // Glue: each target's address, its owner pointing at the target inside the SRV RDATA
  // written above (records are laid out back to back: 2-byte owner pointer, 10 fixed bytes).
  size_t rdata = first_rdata;
  uint16_t left = c.an;
  for_each_srv(a, rotation, [&](const ServedInstance& inst) {
    if (left-- == 0) {
      return false;
    }
    std::span<const uint8_t> target = std::span(inst.srv_rdata).subspan(kSrvTargetOffset);
    std::span<const uint8_t> addr(inst.address.data(), inst.ipv6 ? 16 : 4);
    OwnerName owner = owner_at(rdata + kSrvTargetOffset, target);
    if (w.record(owner, inst.ipv6 ? type::AAAA : type::A, apex.ttl, addr) != 0) {
      ++c.ar;  // glue that does not fit is left out (RFC 2181 §9 concerns the answer only)
    }
    rdata += inst.srv_rdata.size() + 12;
    return true;
  });
}

void write_addresses(MessageWriter& w, const AddressList& l, bool rotate, uint64_t rotation,
                     uint32_t ttl, Counts& c) {
  size_t start = rotate && l.count != 0 ? static_cast<size_t>(rotation % l.count) : 0;
  for (size_t k = 0; k < l.count; ++k) {
    if (w.record({kQnameOffset, {}}, l.rtype(), ttl, l.at((start + k) % l.count)) == 0) {
      c.tc = true;
      return;
    }
    ++c.an;
  }
}

void write_ns_glue(MessageWriter& w, const Apex& apex, size_t ns_rdata, Counts& c) {
  OwnerName owner = owner_at(ns_rdata, apex.ns_rdata);
  for (const auto& a : apex.ns_a) {
    if (w.record(owner, type::A, apex.ttl, a) != 0) {
      ++c.ar;
    }
  }
  for (const auto& a : apex.ns_aaaa) {
    if (w.record(owner, type::AAAA, apex.ttl, a) != 0) {
      ++c.ar;
    }
  }
}

// Answer section, then (when nothing was cut) authority and additional.
void write_sections(MessageWriter& w, const registry::Snapshot& s, const Question& q,
                    const Answer& a, uint64_t rotation, SrvSampler* sampler, Counts& c) {
  const Apex& apex = s.apex();
  size_t ns_rdata = 0;
  switch (a.kind) {
    case Answer::Kind::none:
      break;
    case Answer::Kind::addresses:
      write_addresses(w, a.addresses, a.rotate, rotation, apex.ttl, c);
      break;
    case Answer::Kind::rdata:
    case Answer::Kind::ns:
      ns_rdata = w.record({kQnameOffset, {}}, a.rtype, apex.ttl, a.rdata);
      c.tc = ns_rdata == 0;
      c.an = c.tc ? 0 : 1;
      break;
    case Answer::Kind::srv:
      write_srv(w, a, apex, rotation, sampler, c);
      break;
    case Answer::Kind::rrset:
      write_static_rrset(w, q, a, c.an, c.ns, c.ar, c.tc);
      break;
    case Answer::Kind::dnssd:
      write_dnssd(w, s, q, a, rotation, c.an, c.ar, c.tc);
      break;
  }
  if (c.tc) {
    return;
  }
  if (a.negative_soa) {
    // RFC 2308 §3: the SOA's TTL in a negative answer is the negative-caching TTL.
    OwnerName owner{0, kRootName};
    if (a.apex_label < q.label_count) {
      owner.pointer = static_cast<uint16_t>(kQnameOffset + q.label_offsets[a.apex_label]);
    }
    // A static zone's own SOA when the name is in one (dns/static_answer.hpp).
    uint32_t soa_ttl = a.zone != nullptr ? a.zone->negative_ttl : apex.negative_ttl;
    std::span<const uint8_t> soa =
        a.zone != nullptr ? std::span(a.zone->soa_rdata) : std::span(apex.soa_rdata);
    if (w.record(owner, type::SOA, soa_ttl, soa) == 0) {
      c.tc = true;
      return;
    }
    ++c.ns;
  }
  if (a.kind == Answer::Kind::ns) {
    write_ns_glue(w, apex, ns_rdata, c);
  }
}

// RFC 6891 §6.1.2-6.1.3: our payload size, the upper RCODE bits, version 0, DO clear
// (we serve no DNSSEC), no options.
void write_opt(MessageWriter& w, uint16_t payload, uint16_t rcode) {
  uint8_t opt[kOptRecordSize] = {0};
  put16(opt + 1, type::OPT);
  put16(opt + 3, payload);
  opt[5] = static_cast<uint8_t>(rcode >> 4);
  w.bytes(opt);
}

}  // namespace

size_t encode_response(const registry::Snapshot& snapshot, const Question& q,
                       std::span<const uint8_t> query, const Answer& answer, std::span<uint8_t> out,
                       const EncodeOptions& options) {
  size_t reserve = q.edns.present ? kOptRecordSize : 0;
  size_t limit = options.limit > reserve ? options.limit - reserve : 0;
  MessageWriter w(out, limit);
  Counts c;
  if (q.question_end < kHeaderSize || !w.fits(q.question_end)) {
    return encode_header_only(q, static_cast<uint8_t>(answer.rcode & 0x0F), out);
  }
  w.bytes(query.first(q.question_end));  // header placeholder + question, in the query's case
  write_sections(w, snapshot, q, answer, options.rotation, options.sampler, c);
  if (q.edns.present) {
    w.set_limit(options.limit);
    write_opt(w, options.edns_payload, answer.rcode);
    ++c.ar;
  }
  write_header(w.data(), q, 1, answer, c);
  return w.size();
}

size_t encode_header_only(const Question& q, uint8_t rc, std::span<uint8_t> out) {
  if (out.size() < kHeaderSize) {
    return 0;
  }
  write_header(out.data(), q, 0, Answer{.rcode = rc, .authoritative = false}, Counts{});
  return kHeaderSize;
}

}  // namespace srvd::dns
