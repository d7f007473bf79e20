// dnssd.hpp -- DNS-SD (RFC 6763) names under the domain: enumeration, browsing, instances.
#pragma once

#include <cstdint>

#include "dns/answer.hpp"
#include "dns/query.hpp"
#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

/// PTR at `_<service>._tcp|_udp.<domain>` (RFC 6763 §4.1): one record per served instance of
/// that protocol, to `<id>._<service>._tcp|_udp.<domain>`. `service` must have one.
Answer dnssd_browse(const registry::ServiceRecords& service, bool udp, uint8_t apex_label);

/// Names with three labels under the domain (`apex_label` == 3): the service enumeration name
/// `_services._dns-sd._udp` (PTR, RFC 6763 §9) and service instance names
/// `<id>._<service>._tcp|_udp` (SRV and TXT, §6); NXDOMAIN for anything else. Service names
/// and ids never start with '_', so these cannot clash with registry names.
Answer dnssd_lookup(const registry::Snapshot& snapshot, const Question& q, uint8_t apex_label);

/// True for `_dns-sd._udp.<domain>`, an empty non-terminal above the enumeration name
/// (RFC 8020: NODATA, not NXDOMAIN). `q` has two labels under the domain.
bool is_dnssd_parent(const Question& q);

/// Writes the answer and additional sections of a Kind::dnssd answer. PTR RDATA is compressed
/// against the question (RFC 1035 §4.1.4 allows it for PTR); the additional section follows
/// RFC 6763 §12 (SRV, TXT and addresses for browsing, addresses for SRV) while it fits, and
/// is dropped silently beyond. Sets `tc` when the answer RRset is cut; `rotation` picks the
/// first record, as for other RRsets.
void write_dnssd(MessageWriter& w, const registry::Snapshot& snapshot, const Question& q,
                 const Answer& a, uint64_t rotation, uint16_t& an, uint16_t& ar, bool& tc);

}  // namespace srvd::dns
