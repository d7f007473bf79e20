// render.cpp -- builds SRV/TXT RDATA and address lists once per change, not once per query.
#include "registry/render.hpp"

#include <algorithm>
#include <cctype>

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

std::vector<uint8_t> txt_rdata(const std::map<std::string, std::string>& meta) {
  size_t size = 0;
  for (const auto& [k, v] : meta) {
    size += 2 + k.size() + v.size();
  }
  std::vector<uint8_t> out;
  out.reserve(std::max<size_t>(size, 1));  // one allocation per instance, not one per byte run
  for (const auto& [k, v] : meta) {  // validate_details keeps each under 256 bytes
    out.push_back(static_cast<uint8_t>(k.size() + 1 + v.size()));
    out.insert(out.end(), k.begin(), k.end());
    out.push_back('=');
    out.insert(out.end(), v.begin(), v.end());
  }
  if (out.empty()) {
    out.push_back(0);  // a TXT RR holds at least one (here empty) string
  }
  return out;
}

void put_record_head(std::vector<uint8_t>& out, uint16_t owner, uint16_t type, size_t rdlen) {
  put16(out, owner);
  put16(out, type);
  put16(out, 1);  // class IN
  put32(out, 0);  // TTL: the encoder writes the Apex's
  put16(out, static_cast<uint16_t>(rdlen));
}

// SrvAnswer for one protocol; left empty unless every served instance uses it.
SrvAnswer render_srv_answer(const std::vector<ServedInstance>& instances, bool udp) {
  SrvAnswer out;
  if (instances.empty() || !std::all_of(instances.begin(), instances.end(),
                                        [udp](const ServedInstance& i) { return i.udp == udp; })) {
    return out;
  }
  for (const auto& inst : instances) {
    out.srv_at.push_back(static_cast<uint32_t>(out.srv.size()));
    put_record_head(out.srv, 0xC00C, 33 /* SRV */, inst.srv_rdata.size());
    out.srv.insert(out.srv.end(), inst.srv_rdata.begin(), inst.srv_rdata.end());
    out.glue_at.push_back(static_cast<uint32_t>(out.glue.size()));
    size_t size = inst.ipv6 ? 16 : 4;
    put_record_head(out.glue, 0xC000, inst.ipv6 ? 28 /* AAAA */ : 1 /* A */, size);
    out.glue.insert(out.glue.end(), inst.address.begin(),
                    inst.address.begin() + static_cast<ptrdiff_t>(size));
  }
  out.srv_at.push_back(static_cast<uint32_t>(out.srv.size()));
  out.glue_at.push_back(static_cast<uint32_t>(out.glue.size()));
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
                                                     const std::vector<uint8_t>& domain_wire) {
  auto rec = std::make_shared<ServiceRecords>();
  rec->name = name;
  rec->instances.reserve(service.size());
  for (const auto& [id, inst] : service) {  // std::map: already sorted by id
    if (!is_served(inst.status)) {
      continue;
    }
    ServedInstance s;
    s.id = id;
    s.ipv6 = inst.address.ipv6;
    s.address = inst.address.bytes;
    s.udp = inst.protocol == Protocol::udp;
    s.priority = inst.priority;
    s.weight = inst.weight;
    s.port = inst.port;
    s.srv_rdata.reserve(6 + 1 + id.size() + 1 + name.size() + domain_wire.size());
    put16(s.srv_rdata, inst.priority);
    put16(s.srv_rdata, inst.weight);
    put16(s.srv_rdata, inst.port);
    put_label(s.srv_rdata, id);
    put_label(s.srv_rdata, name);
    s.srv_rdata.insert(s.srv_rdata.end(), domain_wire.begin(), domain_wire.end());
    s.txt_rdata = txt_rdata(inst.meta);
    if (s.ipv6) {
      rec->aaaa.push_back(s.address);
    } else {
      rec->a.push_back({s.address[0], s.address[1], s.address[2], s.address[3]});
    }
    rec->instances.push_back(std::move(s));
  }
  // An RRset is a set (RFC 2181 §5): two instances on one host give one A record.
  rec->srv_answer[0] = render_srv_answer(rec->instances, false);
  rec->srv_answer[1] = render_srv_answer(rec->instances, true);
  std::sort(rec->a.begin(), rec->a.end());
  rec->a.erase(std::unique(rec->a.begin(), rec->a.end()), rec->a.end());
  std::sort(rec->aaaa.begin(), rec->aaaa.end());
  rec->aaaa.erase(std::unique(rec->aaaa.begin(), rec->aaaa.end()), rec->aaaa.end());
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
