// static_answer.hpp -- answering from the static zones (zones/*.zone) beside the registry.
#pragma once

#include <cstdint>

#include "dns/answer.hpp"
#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

/// Combines the registry's answer `registry_answer` to `q` with the static zones:
/// - a static zone closer to the name than the registry's domain (or the only zone holding it)
///   answers on its own: its records, CNAME, NODATA or NXDOMAIN with its SOA, AA set, or a
///   referral (NS in authority, AA clear) at a zone cut (RFC 1034 §4.3.2);
/// - inside the registry's domain the registry answers first, and static records fill only
///   names and types it has nothing for (an instance always wins over a static record);
/// - anything else is `registry_answer` unchanged. Allocation-free.
Answer with_static_zones(const registry::Snapshot& snapshot, const Question& q,
                         const Answer& registry_answer);

/// Writes the sections of a Kind::rrset answer: the RRset in answer (owner = qname), or in
/// authority for a referral (owner = the cut, a suffix of the qname), then the glue. Sets
/// `tc` when the answer RRset does not fit; glue that does not fit is left out.
void write_static_rrset(MessageWriter& w, const Question& q, const Answer& a, uint16_t& an,
                        uint16_t& ns, uint16_t& ar, bool& tc);

}  // namespace srvd::dns
