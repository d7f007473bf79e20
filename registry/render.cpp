// render.cpp -- builds SRV/TXT RDATA and address lists once per change, not once per query.
#include "registry/render.hpp"

#include <algorithm>
#include <cctype>
#include <span>

namespace srvd::registry {
namespace {

constexpr size_t kMaxDomainWire = 120;  // leaves 135 bytes for "<id>._<service>._tcp."

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

void put_label(std::vector<uint8_t>& out, std::string_view label) {
  out.push_back(static_cast<uint8_t>(label.size()));
  out.insert(out.end(), label.begin(), label.end());
}

size_t txt_size(const std::map<std::string, std::string>& meta) {
  size_t size = 0;
  for (const auto& [k, v] : meta) {  // validate_details keeps each under 256 bytes
    size += 2 + k.size() + v.size();
  }
  return std::max<size_t>(size, 1);  // a TXT RR holds at least one (here empty) string
}

uint8_t* put_txt(uint8_t* p, const std::map<std::string, std::string>& meta) {
  if (meta.empty()) {
    *p++ = 0;
  }
  for (const auto& [k, v] : meta) {
    *p++ = static_cast<uint8_t>(k.size() + 1 + v.size());
    p = std::copy(k.begin(), k.end(), p);
    *p++ = '=';
    p = std::copy(v.begin(), v.end(), p);
  }
  return p;
}

uint8_t* put16(uint8_t* p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v >> 8);
  *p++ = static_cast<uint8_t>(v);
  return p;
}

uint8_t* put_label(uint8_t* p, std::string_view label) {
  *p++ = static_cast<uint8_t>(label.size());
  return std::copy(label.begin(), label.end(), p);
}

// Renders one instance into a single allocation: SRV RDATA, then TXT RDATA.
ServedInstance render_instance(const std::string& service, const std::string& id,
                               const Instance& inst, const std::vector<uint8_t>& domain_wire) {
  const size_t srv = 6 + 1 + id.size() + 1 + service.size() + domain_wire.size();
  const size_t txt = txt_size(inst.meta);
  auto bytes = std::make_shared_for_overwrite<uint8_t[]>(srv + txt);
  uint8_t* p = bytes.get();
  p = put16(p, inst.priority);
  p = put16(p, inst.weight);
  p = put16(p, inst.port);
  p = put_label(p, id);
  p = put_label(p, service);
  p = std::copy(domain_wire.begin(), domain_wire.end(), p);
  put_txt(p, inst.meta);

  ServedInstance s;
  s.srv_rdata = {bytes.get(), srv};
  s.txt_rdata = {bytes.get() + srv, txt};
  s.id = {reinterpret_cast<const char*>(bytes.get()) + 7, id.size()};
  s.ipv6 = inst.address.ipv6;
  s.address = inst.address.bytes;
  s.udp = inst.protocol == Protocol::udp;
  s.priority = inst.priority;
  s.weight = inst.weight;
  s.port = inst.port;
  s.rdata = std::move(bytes);
  return s;
}

// True when `s`, rendered for an earlier snapshot, is what render_instance would make of
// `inst` now (same service and domain): what a publish checks instead of rendering again.
bool renders_as(const ServedInstance& s, const Instance& inst) {
  if (s.priority != inst.priority || s.weight != inst.weight || s.port != inst.port ||
      s.udp != (inst.protocol == Protocol::udp) || s.ipv6 != inst.address.ipv6 ||
      s.address != inst.address.bytes) {
    return false;
  }
  std::span<const uint8_t> t = s.txt_rdata;
  if (inst.meta.empty()) {
    return t.size() == 1 && t[0] == 0;
  }
  size_t at = 0;
  for (const auto& [k, v] : inst.meta) {
    const size_t n = k.size() + 1 + v.size();
    if (t.size() - at < 1 + n || t[at] != n ||
        !std::equal(k.begin(), k.end(), t.begin() + static_cast<ptrdiff_t>(at + 1)) ||
        t[at + 1 + k.size()] != '=' ||
        !std::equal(v.begin(), v.end(), t.begin() + static_cast<ptrdiff_t>(at + 2 + k.size()))) {
      return false;
    }
    at += 1 + n;
  }
  return at == t.size();
}

// Owner, type, class IN, TTL 0 (the encoder writes the Apex's) and RDLENGTH, then RDATA.
uint8_t* put_record(uint8_t* p, uint16_t owner, uint16_t type, std::span<const uint8_t> rdata) {
  p = put16(p, owner);
  p = put16(p, type);
  p = put16(p, 1);
  p = put16(p, 0);
  p = put16(p, 0);
  p = put16(p, static_cast<uint16_t>(rdata.size()));
  return std::copy(rdata.begin(), rdata.end(), p);
}

// SrvAnswer for one protocol; left empty unless every served instance uses it. Sized once and
// written through pointers: this runs for every change of a service, over all its instances.
SrvAnswer render_srv_answer(const std::vector<ServedInstance>& instances, bool udp) {
  SrvAnswer out;
  size_t srv_size = 0;
  size_t glue_size = 0;
  for (const auto& inst : instances) {
    if (inst.udp != udp) {
      return out;
    }
    srv_size += 12 + inst.srv_rdata.size();
    glue_size += 12 + (inst.ipv6 ? 16 : 4);
  }
  if (instances.empty()) {
    return out;
  }
  out.srv.resize(srv_size);
  out.glue.resize(glue_size);
  out.srv_at.resize(instances.size() + 1);
  out.glue_at.resize(instances.size() + 1);
  uint8_t* srv = out.srv.data();
  uint8_t* glue = out.glue.data();
  for (size_t i = 0; i < instances.size(); ++i) {
    const ServedInstance& inst = instances[i];
    out.srv_at[i] = static_cast<uint32_t>(srv - out.srv.data());
    srv = put_record(srv, 0xC00C, 33 /* SRV */, inst.srv_rdata);
    out.glue_at[i] = static_cast<uint32_t>(glue - out.glue.data());
    glue = put_record(glue, 0xC000, inst.ipv6 ? 28 /* AAAA */ : 1 /* A */,
                      {inst.address.data(), inst.ipv6 ? size_t{16} : size_t{4}});
  }
  out.srv_at.back() = static_cast<uint32_t>(srv_size);
  out.glue_at.back() = static_cast<uint32_t>(glue_size);
  return out;
}

// The distinct addresses of `instances` of one family, sorted (an RRset is a set, RFC 2181
// §5: two instances on one host give one A record). Sorted as big-endian integers, which
// orders them as their bytes do: sorting the byte arrays themselves (memcmp per probe) cost
// more than the rest of a service's render.
template <size_t N>
std::vector<std::array<uint8_t, N>> distinct_addresses(const std::vector<ServedInstance>& instances) {
  using Key = std::conditional_t<N == 4, uint32_t, unsigned __int128>;
  auto of_family = [](const ServedInstance& s) { return s.ipv6 == (N == 16); };
  std::vector<Key> keys;
  keys.reserve(static_cast<size_t>(std::count_if(instances.begin(), instances.end(), of_family)));
  for (const auto& s : instances) {
    if (of_family(s)) {
      Key k = 0;
      for (size_t i = 0; i < N; ++i) {
        k = k << 8 | s.address[i];
      }
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::array<uint8_t, N>> out(keys.size());
  for (size_t j = 0; j < keys.size(); ++j) {
    for (size_t i = 0; i < N; ++i) {
      out[j][i] = static_cast<uint8_t>(keys[j] >> (8 * (N - 1 - i)));
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> domain_to_wire(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') {
    domain.remove_suffix(1);
  }
  std::vector<uint8_t> out;
  while (!domain.empty()) {
    size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      return std::nullopt;
    }
    std::string lower;
    for (char c : label) {
      auto u = static_cast<unsigned char>(c);
      if (!std::isalnum(u) && c != '-' && c != '_') {
        return std::nullopt;
      }
      lower.push_back(static_cast<char>(std::tolower(u)));
    }
    put_label(out, lower);
    domain = dot == std::string_view::npos ? std::string_view{} : domain.substr(dot + 1);
  }
  out.push_back(0);
  if (out.size() == 1 || out.size() > kMaxDomainWire) {
    return std::nullopt;  // the root, or too long to hold service names
  }
  return out;
}

std::shared_ptr<const ServiceRecords> render_service(const std::string& name,
                                                     const Registry::Service& service,
                                                     const std::vector<uint8_t>& domain_wire,
                                                     const ServiceRecords* previous,
                                                     const std::vector<std::string>* changed) {
  auto rec = std::make_shared<ServiceRecords>();
  rec->name = name;
  std::span<const ServedInstance> old;
  if (previous != nullptr) {
    old = previous->instances;
  }
  // `inst` as served now: `before` (its entry in the previous snapshot, or nullptr) when
  // that still renders as it is, else rendered anew.
  auto serve = [&](const std::string& id, const Instance& inst, const ServedInstance* before) {
    if (before != nullptr && renders_as(*before, inst)) {
      rec->instances.push_back(*before);
    } else {
      rec->instances.push_back(render_instance(name, id, inst, domain_wire));
    }
  };
  size_t o = 0;
  if (previous != nullptr && changed != nullptr) {
    // Everything but `changed` is as it was: merge the two sorted lists.
    rec->instances.reserve(old.size() + changed->size());
    for (const std::string& id : *changed) {
      while (o < old.size() && old[o].id < std::string_view(id)) {
        rec->instances.push_back(old[o++]);
      }
      const ServedInstance* before = o < old.size() && old[o].id == id ? &old[o++] : nullptr;
      auto it = service.find(id);
      if (it != service.end() && is_served(it->second.status)) {
        serve(id, it->second, before);
      }
    }
    rec->instances.insert(rec->instances.end(), old.begin() + static_cast<ptrdiff_t>(o), old.end());
  } else {
    // Both lists are sorted by id: walk them together.
    rec->instances.reserve(service.size());
    for (const auto& [id, inst] : service) {  // std::map: already sorted by id
      if (!is_served(inst.status)) {
        continue;
      }
      while (o < old.size() && old[o].id < std::string_view(id)) {
        ++o;
      }
      serve(id, inst, o < old.size() && old[o].id == id ? &old[o] : nullptr);
    }
  }
  rec->a = distinct_addresses<4>(rec->instances);
  rec->aaaa = distinct_addresses<16>(rec->instances);
  rec->srv_answer[0] = render_srv_answer(rec->instances, false);
  rec->srv_answer[1] = render_srv_answer(rec->instances, true);
  return rec;
}

Apex render_apex(const ZoneConfig& zone, const std::vector<uint8_t>& domain_wire, uint64_t index) {
  Apex apex;
  apex.domain_wire = domain_wire;
  apex.ttl = zone.ttl;
  apex.negative_ttl = zone.negative_ttl;

  std::vector<uint8_t> ns_name;
  put_label(ns_name, "ns");
  ns_name.insert(ns_name.end(), domain_wire.begin(), domain_wire.end());
  apex.ns_rdata = ns_name;

  apex.soa_rdata = ns_name;  // MNAME
  put_label(apex.soa_rdata, "hostmaster");  // RNAME hostmaster.<domain>
  apex.soa_rdata.insert(apex.soa_rdata.end(), domain_wire.begin(), domain_wire.end());
  // RFC 1982 serial arithmetic wraps at 2^32, so the low 32 bits of the index still grow.
  put32(apex.soa_rdata, static_cast<uint32_t>(index));
  // srvd has no secondaries; refresh, retry and expire are the values RFC 1912 §2.2 and
  // zonemaster (ZONE02/04/05) ask of any zone, so outside checkers find nothing to flag.
  put32(apex.soa_rdata, 14400);    // refresh
  put32(apex.soa_rdata, 3600);     // retry
  put32(apex.soa_rdata, 1209600);  // expire: two weeks
  put32(apex.soa_rdata, zone.negative_ttl);  // minimum: the negative-caching TTL (RFC 2308)

  for (const auto& a : zone.ns_addresses) {
    if (a.ipv6) {
      apex.ns_aaaa.push_back(a.bytes);
    } else {
      apex.ns_a.push_back({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
    }
  }
  return apex;
}

}  // namespace srvd::registry
