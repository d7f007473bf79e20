// static_answer.cpp -- looks names up in the static zones and writes their prerendered RRsets.
#include "dns/static_answer.hpp"

#include <cstring>
#include <optional>

namespace srvd::dns {

namespace {

using registry::StaticName;
using registry::StaticRRset;
using registry::StaticZone;

constexpr uint16_t kQnameOffset = kHeaderSize;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypeDs = 43;

// RFC 2308 §2.1/§2.2; `zone` null means the registry's apex SOA.
Answer negative(const StaticZone* zone, uint8_t rc, int soa_label) {
  return Answer{.rcode = rc,
                .negative_soa = true,
                .apex_label = static_cast<uint8_t>(soa_label),
                .zone = zone};
}

Answer positive(const StaticRRset& r, const StaticName& n) {
  return Answer{.kind = Answer::Kind::rrset,
                .rtype = r.type,
                .rrset = &r,
                .glue = r.type == type::NS ? &n : nullptr};
}

// The name exists and is not a zone cut: its RRset, its CNAME (RFC 1034 §4.3.2 step 3a; the
// resolver follows it), or NODATA.
Answer at_name(const StaticName& n, uint16_t qtype, const StaticZone* soa_zone, int soa_label) {
  if (qtype == type::ANY) {
    if (!n.rrsets.empty()) {
      return positive(n.rrsets.front(), n);  // RFC 8482 §4.2: one RRset suffices
    }
  } else if (const StaticRRset* r = n.find(qtype)) {
    return positive(*r, n);
  } else if (const StaticRRset* c = n.find(kTypeCname)) {
    return positive(*c, n);
  }
  return negative(soa_zone, rcode::NoError, soa_label);
}

// Walks from the zone's origin (label `origin_label` of the qname) down to the qname, stopping
// at the first zone cut (RFC 1034 §4.3.2 step 3b). Empty non-terminals are names in the zone,
// so a missing name on the way means the qname does not exist: nullopt.
std::optional<Answer> in_zone(const StaticZone& z, const Question& q, int origin_label,
                              const StaticZone* soa_zone, int soa_label) {
  for (int i = origin_label; i >= 0; --i) {
    const StaticName* n = z.find(q.suffix(static_cast<size_t>(i)));
    if (n == nullptr) {
      return std::nullopt;
    }
    // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1).
    bool cut = n->delegation && i != origin_label && !(i == 0 && q.qtype == kTypeDs);
    if (cut) {
      return Answer{.authoritative = false,  // RFC 1034 §4.3.2 step 3b: a referral
                    .kind = Answer::Kind::rrset,
                    .rtype = type::NS,
                    .apex_label = static_cast<uint8_t>(i),
                    .rrset = n->find(type::NS),
                    .glue = n,
                    .referral = true};
    }
    if (i == 0) {
      return at_name(*n, q.qtype, soa_zone, soa_label);
    }
  }
  return std::nullopt;
}

bool is_negative(const Answer& a) {
  return a.kind == Answer::Kind::none && a.negative_soa &&
         (a.rcode == rcode::NoError || a.rcode == rcode::NxDomain);
}

}  // namespace

Answer with_static_zones(const registry::Snapshot& snapshot, const Question& q,
                         const Answer& registry_answer) {
  const registry::StaticZones* zones = snapshot.static_zones();
  // No zones (an empty --zones directory too): skip the suffix matching on every query.
  if (zones == nullptr || zones->zones.empty()) {
    return registry_answer;
  }
  int registry_label = suffix_label(q, snapshot.apex().domain_wire);
  // The closest enclosing zone: the one whose origin starts at the leftmost label.
  const StaticZone* best = nullptr;
  int best_label = -1;
  for (const auto& z : zones->zones) {
    int l = z.registry_extra ? -1 : suffix_label(q, z.origin);
    if (l >= 0 && (best == nullptr || l < best_label)) {
      best = &z;
      best_label = l;
    }
  }
  if (best != nullptr && (registry_label < 0 || best_label < registry_label)) {
    std::optional<Answer> a = in_zone(*best, q, best_label, best, best_label);
    return a ? *a : negative(best, rcode::NxDomain, best_label);
  }
  const StaticZone* extra = zones->registry_extra();
  if (registry_label >= 0 && extra != nullptr && is_negative(registry_answer)) {
    std::optional<Answer> a = in_zone(*extra, q, registry_label, nullptr, registry_label);
    if (a) {
      return *a;
    }
  }
  return registry_answer;
}

void write_static_rrset(MessageWriter& w, const Question& q, const Answer& a, uint16_t& an,
                        uint16_t& ns, uint16_t& ar, bool& tc) {
  if (a.rrset == nullptr) {
    return;
  }
  OwnerName owner{kQnameOffset, {}};
  if (a.referral && a.apex_label < q.label_count) {
    owner.pointer = static_cast<uint16_t>(kQnameOffset + q.label_offsets[a.apex_label]);
  }
  for (const auto& rdata : a.rrset->rdata) {
    if (w.record(owner, a.rrset->type, a.rrset->ttl, rdata) == 0) {
      tc = true;  // an answer or referral cut short (RFC 2181 §9)
      return;
    }
    ++(a.referral ? ns : an);
  }
  if (a.glue == nullptr) {
    return;
  }
  for (const auto& g : a.glue->ns_glue) {
    if (w.record({0, g.name}, g.type, g.ttl, g.rdata) != 0) {
      ++ar;  // glue that does not fit is left out
    }
  }
}

}  // namespace srvd::dns
