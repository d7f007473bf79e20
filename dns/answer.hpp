// answer.hpp -- lookup: which snapshot records answer a question (NSD's answer_type idea).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/query.hpp"
#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

/// IP addresses held in a snapshot: `count` entries of `size` bytes (4 or 16), `stride` apart.
struct AddressList {
  const uint8_t* data = nullptr;
  size_t count = 0;
  size_t stride = 0;
  uint16_t size = 4;

  uint16_t rtype() const { return size == 4 ? type::A : type::AAAA; }
  std::span<const uint8_t> at(size_t i) const { return {data + i * stride, size}; }
};

/// The outcome of a lookup: references into the snapshot, valid while it lives. Trivially
/// copyable, so lookup never allocates.
struct Answer {
  enum class Kind : uint8_t {
    none,       ///< empty answer section (negative answers, REFUSED, BADVERS)
    addresses,  ///< A or AAAA records from `addresses`, owner = qname
    rdata,      ///< one record of `rtype` with `rdata` (SOA, TXT), owner = qname
    ns,         ///< the apex NS (`rdata`), with ns.<domain> glue from the apex
    srv,        ///< SRV records of `service`'s instances of protocol `srv_udp`, with glue
    rrset,      ///< a static RRset (`rrset`, zones/*.zone), owner = qname, or a referral
    dnssd,      ///< DNS-SD (dns/dnssd.hpp): `rtype` PTR for browsing (`service` set) or
                ///< enumeration, SRV of `instance` at its instance name
  };
  uint16_t rcode = rcode::NoError;  ///< may be an extended RCODE (BADVERS)
  bool authoritative = true;        ///< AA: every answer from inside our zone (RFC 1035 §4.1.1)
  bool negative_soa = false;        ///< put the apex SOA in authority (RFC 2308 §2, §3)
  Kind kind = Kind::none;
  uint16_t rtype = 0;
  AddressList addresses{};
  std::span<const uint8_t> rdata{};
  const registry::ServiceRecords* service = nullptr;
  bool srv_udp = false;
  bool rotate = false;     ///< start the RRset at a per-query offset (load spreading)
  uint8_t apex_label = 0;  ///< index in the qname of the domain's first label
  const registry::ServedInstance* instance = nullptr;  ///< Kind::dnssd SRV at an instance name
  // Static zones (dns/static_answer.hpp). For a referral, `rrset` is the delegation's NS,
  // written to authority with AA clear, and `apex_label` is the zone cut's first label.
  const registry::StaticRRset* rrset = nullptr;
  const registry::StaticName* glue = nullptr;  ///< its `ns_glue` goes to additional
  const registry::StaticZone* zone = nullptr;  ///< negative answers carry its SOA, not the apex's
  bool referral = false;
};

/// Resolves `q` (class IN, well-formed) against `snapshot`. Allocation-free.
/// Names outside the domain give REFUSED without AA; names that exist but lack the type,
/// and empty non-terminals (`_tcp.<domain>`, RFC 8020), give NODATA; others NXDOMAIN.
Answer lookup(const registry::Snapshot& snapshot, const Question& q);

}  // namespace srvd::dns
