// answer.cpp -- maps a question onto the names srvd serves (DESIGN.md §1) and their records.
#include "dns/answer.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "dns/dnssd.hpp"
#include "dns/static_answer.hpp"

namespace srvd::dns {

namespace {

using registry::Apex;
using registry::ServedInstance;
using registry::ServiceRecords;
using registry::Snapshot;

Answer nodata(uint8_t apex_label) { return Answer{.negative_soa = true, .apex_label = apex_label}; }

Answer nxdomain(uint8_t apex_label) {
  return Answer{.rcode = rcode::NxDomain, .negative_soa = true, .apex_label = apex_label};
}

template <size_t N>
AddressList list_of(const std::vector<std::array<uint8_t, N>>& v) {
  static_assert(sizeof(std::array<uint8_t, N>) == N);
  return {v.empty() ? nullptr : v.front().data(), v.size(), N, static_cast<uint16_t>(N)};
}


// A name holding A/AAAA lists: <service>.<domain> (rotated) and ns.<domain>.
Answer addresses_at(const AddressList& a, const AddressList& aaaa, uint16_t qtype, bool rotate,
                    uint8_t apex) {
  const AddressList* chosen = nullptr;
  if (qtype == type::A || (qtype == type::ANY && a.count > 0)) {
    chosen = &a;
  } else if (qtype == type::AAAA || qtype == type::ANY) {
    chosen = &aaaa;  // RFC 8482 §4.2: one RRset is a sufficient answer to ANY
  }
  if (chosen == nullptr || chosen->count == 0) {
    return nodata(apex);
  }
  return Answer{.kind = Answer::Kind::addresses,
                .rtype = chosen->rtype(),
                .addresses = *chosen,
                .rotate = rotate,
                .apex_label = apex};
}

Answer at_apex(const Apex& apex, uint16_t qtype, uint8_t apex_label) {
  if (qtype == type::SOA || qtype == type::ANY) {
    return Answer{.kind = Answer::Kind::rdata,
                  .rtype = type::SOA,
                  .rdata = apex.soa_rdata,
                  .apex_label = apex_label};
  }
  if (qtype == type::NS) {
    return Answer{.kind = Answer::Kind::ns,
                  .rtype = type::NS,
                  .rdata = apex.ns_rdata,
                  .apex_label = apex_label};
  }
  return nodata(apex_label);
}

Answer at_instance(const ServedInstance& inst, uint16_t qtype, uint8_t apex) {
  if (qtype == type::TXT) {
    return Answer{.kind = Answer::Kind::rdata,
                  .rtype = type::TXT,
                  .rdata = inst.txt_rdata,
                  .apex_label = apex};
  }
  uint16_t family = inst.ipv6 ? type::AAAA : type::A;
  if (qtype != family && qtype != type::ANY) {
    return nodata(apex);
  }
  uint16_t size = inst.ipv6 ? 16 : 4;
  return Answer{.kind = Answer::Kind::addresses,
                .rtype = family,
                .addresses = {inst.address.data(), 1, 16, size},
                .apex_label = apex};
}

// _<service>._tcp / _<service>._udp (RFC 2782): the service must exist; an existing service
// without instances of that protocol is NODATA.
Answer at_srv_name(const ServiceRecords& svc, bool udp, uint16_t qtype, uint8_t apex) {
  if (qtype != type::SRV && qtype != type::ANY && qtype != type::PTR) {
    return nodata(apex);
  }
  bool any = std::any_of(svc.instances.begin(), svc.instances.end(),
                         [udp](const ServedInstance& i) { return i.udp == udp; });
  if (!any) {
    return nodata(apex);
  }
  if (qtype == type::PTR) {
    return dnssd_browse(svc, udp, apex);  // the same name browses instances (RFC 6763 §4.1)
  }
  return Answer{.kind = Answer::Kind::srv,
                .rtype = type::SRV,
                .service = &svc,
                .srv_udp = udp,
                .rotate = true,
                .apex_label = apex};
}

bool is_protocol_label(std::string_view l) { return l == "_tcp" || l == "_udp"; }

Answer one_label(const Snapshot& s, const Question& q, uint8_t apex) {
  std::string_view l0 = q.label(0);
  if (is_protocol_label(l0)) {
    return nodata(apex);  // empty non-terminal above the SRV names (RFC 8020)
  }
  if (l0 == "ns") {
    return addresses_at(list_of(s.apex().ns_a), list_of(s.apex().ns_aaaa), q.qtype, false, apex);
  }
  const ServiceRecords* svc = s.find(l0);
  if (svc == nullptr) {
    return nxdomain(apex);
  }
  return addresses_at(list_of(svc->a), list_of(svc->aaaa), q.qtype, true, apex);
}

Answer two_labels(const Snapshot& s, const Question& q, uint8_t apex) {
  std::string_view l0 = q.label(0);
  std::string_view l1 = q.label(1);
  if (is_protocol_label(l1)) {
    if (l0.size() < 2 || l0.front() != '_') {
      return nxdomain(apex);
    }
    const ServiceRecords* svc = s.find(l0.substr(1));
    if (svc == nullptr) {
      return is_dnssd_parent(q) ? nodata(apex) : nxdomain(apex);  // RFC 8020
    }
    return at_srv_name(*svc, l1 == "_udp", q.qtype, apex);
  }
  const ServiceRecords* svc = s.find(l1);
  const ServedInstance* inst = svc != nullptr ? svc->find(l0) : nullptr;
  return inst != nullptr ? at_instance(*inst, q.qtype, apex) : nxdomain(apex);
}

Answer lookup_registry(const Snapshot& snapshot, const Question& q) {
  int apex = suffix_label(q, snapshot.apex().domain_wire);
  if (apex < 0) {
    return Answer{.rcode = rcode::Refused, .authoritative = false};
  }
  auto apex_label = static_cast<uint8_t>(apex);
  switch (apex) {
    case 0:
      return at_apex(snapshot.apex(), q.qtype, apex_label);
    case 1:
      return one_label(snapshot, q, apex_label);
    case 2:
      return two_labels(snapshot, q, apex_label);
    case 3:
      return dnssd_lookup(snapshot, q, apex_label);
    default:
      return nxdomain(apex_label);
  }
}

}  // namespace

Answer lookup(const Snapshot& snapshot, const Question& q) {
  return with_static_zones(snapshot, q, lookup_registry(snapshot, q));
}

}  // namespace srvd::dns
