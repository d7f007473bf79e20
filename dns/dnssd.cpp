// dnssd.cpp -- DNS-SD service enumeration, browsing PTRs and instance names (RFC 6763).
#include "dns/dnssd.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace srvd::dns {

namespace {

using registry::ServedInstance;
using registry::ServiceRecords;
using registry::Snapshot;

constexpr uint16_t kQnameOffset = kHeaderSize;
constexpr size_t kSrvTargetOffset = 6;  // priority, weight, port precede the target
constexpr std::string_view kTcp = "_tcp";
constexpr std::string_view kUdp = "_udp";

Answer nodata(uint8_t apex) { return Answer{.negative_soa = true, .apex_label = apex}; }

Answer nxdomain(uint8_t apex) {
  return Answer{.rcode = rcode::NxDomain, .negative_soa = true, .apex_label = apex};
}

bool has_protocol(const ServiceRecords& svc, bool udp) {
  return std::any_of(svc.instances.begin(), svc.instances.end(),
                     [udp](const ServedInstance& i) { return i.udp == udp; });
}

// `_<service>` must fit one label (RFC 1035 §2.3.4), so a 63-character service name has no
// SRV or DNS-SD names, only its A/AAAA.
bool enumerable(const ServiceRecords& svc) {
  return svc.name.size() < kMaxLabelSize && !svc.instances.empty();
}

bool any_enumerable(const Snapshot& s) {
  for (const auto& shard : s.table()) {
    if (shard && std::any_of(shard->begin(), shard->end(),
                             [](const auto& svc) { return enumerable(*svc); })) {
      return true;
    }
  }
  return false;
}

Answer enumeration(const Snapshot& s, uint16_t qtype, uint8_t apex) {
  if ((qtype != type::PTR && qtype != type::ANY) || !any_enumerable(s)) {
    return nodata(apex);  // the name always exists: RFC 6763 §9 defines it
  }
  return Answer{.kind = Answer::Kind::dnssd, .rtype = type::PTR, .apex_label = apex};
}

Answer instance_name(const ServedInstance& inst, uint16_t qtype, uint8_t apex) {
  if (qtype == type::TXT) {  // RFC 6763 §6: the instance's key=value pairs
    return Answer{.kind = Answer::Kind::rdata,
                  .rtype = type::TXT,
                  .rdata = inst.txt_rdata,
                  .apex_label = apex};
  }
  if (qtype != type::SRV && qtype != type::ANY) {
    return nodata(apex);
  }
  return Answer{
      .kind = Answer::Kind::dnssd, .rtype = type::SRV, .apex_label = apex, .instance = &inst};
}

// A compression pointer when the offset is reachable in 14 bits, else the name itself.
OwnerName owner_at(size_t offset, std::span<const uint8_t> name) {
  if (offset > 0 && offset < kPointerLimit) {
    return {static_cast<uint16_t>(offset), {}};
  }
  return {0, name};
}

std::span<const uint8_t> srv_target(const ServedInstance& inst) {
  return std::span(inst.srv_rdata).subspan(kSrvTargetOffset);
}

std::span<const uint8_t> address_of(const ServedInstance& inst) {
  return {inst.address.data(), inst.ipv6 ? size_t{16} : size_t{4}};
}

// Room for a label of up to 63 bytes, "_tcp" and a compression pointer.
using NameBuffer = std::array<uint8_t, 1 + kMaxLabelSize + 5 + 2>;

// Appends `label` with a length byte, after a '_' when `underscore`; returns the new size.
size_t put_label(NameBuffer& out, size_t n, std::string_view label, bool underscore = false) {
  out[n++] = static_cast<uint8_t>(label.size() + (underscore ? 1 : 0));
  if (underscore) {
    out[n++] = '_';
  }
  std::copy(label.begin(), label.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
  return n + label.size();
}

// Ends a name in `out` with a pointer to the name at `suffix`; returns the name's size.
size_t put_pointer(NameBuffer& out, size_t n, uint16_t suffix) {
  put16(out.data() + n, static_cast<uint16_t>(0xC000 | suffix));
  return n + 2;
}

// Walks the instances of one protocol from a rotated start, until fn returns false.
template <class Fn>
void for_each_instance(const ServiceRecords& svc, bool udp, uint64_t rotation, Fn&& fn) {
  size_t n = svc.instances.size();
  size_t start = n != 0 ? static_cast<size_t>(rotation % n) : 0;
  for (size_t k = 0; k < n; ++k) {
    const ServedInstance& inst = svc.instances[(start + k) % n];
    if (inst.udp == udp && !fn(inst)) {
      return;
    }
  }
}

// RFC 6763 §12.2: the target's address goes with an SRV record.
void write_address(MessageWriter& w, const ServedInstance& inst, size_t srv_rdata, uint32_t ttl,
                   uint16_t& ar) {
  OwnerName owner = owner_at(srv_rdata + kSrvTargetOffset, srv_target(inst));
  if (w.record(owner, inst.ipv6 ? type::AAAA : type::A, ttl, address_of(inst)) != 0) {
    ++ar;
  }
}

void write_browse(MessageWriter& w, const Answer& a, uint32_t ttl, uint64_t rotation, uint16_t& an,
                  uint16_t& ar, bool& tc) {
  NameBuffer rdata{};
  size_t first = 0;
  for_each_instance(*a.service, a.srv_udp, rotation, [&](const ServedInstance& inst) {
    size_t n = put_pointer(rdata, put_label(rdata, 0, inst.id), kQnameOffset);
    size_t off = w.record({kQnameOffset, {}}, type::PTR, ttl, std::span(rdata).first(n));
    if (off == 0) {
      tc = true;
      return false;
    }
    first = first != 0 ? first : off;
    ++an;
    return true;
  });
  if (tc) {
    return;
  }
  // RFC 6763 §12.1: each instance's SRV, TXT and address, owners pointing at the instance
  // names in the PTR RDATA above (records back to back: 2-byte owner pointer, 10 fixed bytes).
  size_t name = first;
  uint16_t left = an;
  for_each_instance(*a.service, a.srv_udp, rotation, [&](const ServedInstance& inst) {
    if (left-- == 0 || name >= kPointerLimit) {
      return false;
    }
    size_t srv = w.record({static_cast<uint16_t>(name), {}}, type::SRV, ttl, inst.srv_rdata);
    if (srv == 0 ||
        w.record({static_cast<uint16_t>(name), {}}, type::TXT, ttl, inst.txt_rdata) == 0) {
      ar = static_cast<uint16_t>(ar + (srv != 0 ? 1 : 0));
      return false;  // additional data is optional: stop at the first that does not fit
    }
    ar = static_cast<uint16_t>(ar + 2);
    write_address(w, inst, srv, ttl, ar);
    name += inst.id.size() + 3 + 12;
    return true;
  });
}

// RFC 6763 §9: one PTR per service type with a served instance, `_<service>._tcp|_udp`
// relative to the domain inside the question.
void write_enumeration(MessageWriter& w, const Snapshot& s, const Question& q, const Answer& a,
                       uint64_t rotation, uint16_t& an, bool& tc) {
  auto domain = static_cast<uint16_t>(kQnameOffset + q.label_offsets[a.apex_label]);
  NameBuffer rdata{};
  const auto& table = s.table();
  size_t first = static_cast<size_t>(rotation % table.size());
  for (size_t k = 0; k < table.size() && !tc; ++k) {
    const auto& shard = table[(first + k) % table.size()];
    for (size_t i = 0; shard && i < shard->size() && !tc; ++i) {
      const ServiceRecords& svc = *(*shard)[i];
      if (!enumerable(svc)) {
        continue;
      }
      size_t head = put_label(rdata, 0, svc.name, true);
      for (bool udp : {false, true}) {
        if (tc || !has_protocol(svc, udp)) {
          continue;
        }
        size_t n = put_pointer(rdata, put_label(rdata, head, udp ? kUdp : kTcp), domain);
        if (w.record({kQnameOffset, {}}, type::PTR, s.apex().ttl, std::span(rdata).first(n)) == 0) {
          tc = true;
        } else {
          ++an;
        }
      }
    }
  }
}

}  // namespace

Answer dnssd_browse(const ServiceRecords& service, bool udp, uint8_t apex_label) {
  return Answer{.kind = Answer::Kind::dnssd,
                .rtype = type::PTR,
                .service = &service,
                .srv_udp = udp,
                .apex_label = apex_label};
}

bool is_dnssd_parent(const Question& q) { return q.label(0) == "_dns-sd" && q.label(1) == kUdp; }

Answer dnssd_lookup(const Snapshot& snapshot, const Question& q, uint8_t apex_label) {
  std::string_view l0 = q.label(0);
  std::string_view l1 = q.label(1);
  std::string_view l2 = q.label(2);
  if (l0 == "_services" && l1 == "_dns-sd" && l2 == kUdp) {
    return enumeration(snapshot, q.qtype, apex_label);
  }
  if ((l2 != kTcp && l2 != kUdp) || l1.size() < 2 || l1.front() != '_') {
    return nxdomain(apex_label);
  }
  const ServiceRecords* svc = snapshot.find(l1.substr(1));
  const ServedInstance* inst = svc != nullptr ? svc->find(l0) : nullptr;
  if (inst == nullptr || inst->udp != (l2 == kUdp)) {
    return nxdomain(apex_label);  // an instance is named under its own protocol only
  }
  return instance_name(*inst, q.qtype, apex_label);
}

void write_dnssd(MessageWriter& w, const Snapshot& snapshot, const Question& q, const Answer& a,
                 uint64_t rotation, uint16_t& an, uint16_t& ar, bool& tc) {
  uint32_t ttl = snapshot.apex().ttl;
  if (a.rtype == type::SRV && a.instance != nullptr) {
    size_t off = w.record({kQnameOffset, {}}, type::SRV, ttl, a.instance->srv_rdata);
    if (off == 0) {
      tc = true;
      return;
    }
    an = 1;
    write_address(w, *a.instance, off, ttl, ar);
  } else if (a.service != nullptr) {
    write_browse(w, a, ttl, rotation, an, ar, tc);
  } else {
    write_enumeration(w, snapshot, q, a, rotation, an, tc);
  }
}

}  // namespace srvd::dns
