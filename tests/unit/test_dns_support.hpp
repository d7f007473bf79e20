// test_dns_support.hpp -- shared by the dns unit tests: ldns as the oracle, a demo zone.
#pragma once

#include "dns/ldns_ptr.hpp"  // first: it includes ldns the only safe way

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dns/handler.hpp"
#include "registry/registry.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns::test {

using srvd::dns::Free;
using srvd::dns::PktPtr;
using srvd::dns::RdfPtr;
using srvd::dns::RrPtr;
using CharPtr = std::unique_ptr<char, Free<std::free>>;

/// 127.0.0.1:port, for the tests that run a Server or an upstream on real sockets.
inline sockaddr_storage loopback(uint16_t port) {
  sockaddr_storage ss{};
  auto& in = reinterpret_cast<sockaddr_in&>(ss);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ss;
}
using WirePtr = std::unique_ptr<uint8_t, Free<std::free>>;

struct QueryOptions {
  uint16_t id = 0x1234;
  bool rd = true;
  bool cd = false;
  int edns_payload = -1;  ///< -1: no OPT record
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  ldns_rr_class qclass = LDNS_RR_CLASS_IN;
};

/// A query built by ldns, as a resolver would send it.
inline std::vector<uint8_t> make_query(const char* name, ldns_rr_type type,
                                       const QueryOptions& o = {}) {
  RdfPtr owner(ldns_dname_new_frm_str(name));
  if (!owner) {
    throw std::runtime_error(std::string("bad test name ") + name);
  }
  PktPtr pkt(ldns_pkt_query_new(owner.release(), type, o.qclass,  // takes ownership of owner
                                o.rd ? LDNS_RD : 0));
  ldns_pkt_set_id(pkt.get(), o.id);
  ldns_pkt_set_cd(pkt.get(), o.cd);
  if (o.edns_payload >= 0) {
    ldns_pkt_set_edns_udp_size(pkt.get(), static_cast<uint16_t>(o.edns_payload));
    ldns_pkt_set_edns_version(pkt.get(), o.edns_version);
    ldns_pkt_set_edns_do(pkt.get(), o.dnssec_ok);
  }
  uint8_t* raw = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&raw, pkt.get(), &size) != LDNS_STATUS_OK) {
    throw std::runtime_error("ldns_pkt2wire failed");
  }
  WirePtr wire(raw);
  return {raw, raw + size};
}

/// A response as both bytes and the packet ldns parsed from them (null if nothing was sent).
struct Reply {
  std::vector<uint8_t> wire;
  PktPtr pkt;

  uint16_t flags() const { return static_cast<uint16_t>((wire[2] << 8) | wire[3]); }
  uint16_t count(int i) const {
    return static_cast<uint16_t>((wire[4 + 2 * i] << 8) | wire[5 + 2 * i]);
  }
};

inline Reply parse_reply(std::vector<uint8_t> wire) {
  Reply r{std::move(wire), nullptr};
  ldns_pkt* p = nullptr;  // initialised: ldns leaves it untouched on failure
  if (ldns_wire2pkt(&p, r.wire.data(), r.wire.size()) != LDNS_STATUS_OK) {
    throw std::runtime_error("ldns could not parse our response");
  }
  r.pkt.reset(p);
  return r;
}

inline Reply ask(const registry::Snapshot& s, const std::vector<uint8_t>& query,
                 Transport t = Transport::udp, QueryContext* ctx = nullptr) {
  QueryContext local;
  std::vector<uint8_t> out(kMaxMessageSize);
  size_t n = handle_query(s, query, out, t, ctx != nullptr ? *ctx : local);
  if (n == 0) {
    return {};
  }
  out.resize(n);
  return parse_reply(std::move(out));
}

/// The records of a section as "owner ttl class type rdata" (ldns_rr2str, tabs as spaces).
inline std::vector<std::string> rrs(const ldns_rr_list* list) {
  std::vector<std::string> out;
  for (size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
    CharPtr s(ldns_rr2str(ldns_rr_list_rr(list, i)));
    std::string line(s.get());
    while (!line.empty() && line.back() == '\n') {
      line.pop_back();
    }
    for (char& c : line) {
      c = c == '\t' ? ' ' : c;
    }
    out.push_back(line);
  }
  return out;
}
inline std::vector<std::string> answer(const Reply& r) { return rrs(ldns_pkt_answer(r.pkt.get())); }
inline std::vector<std::string> authority(const Reply& r) {
  return rrs(ldns_pkt_authority(r.pkt.get()));
}
inline std::vector<std::string> additional(const Reply& r) {
  return rrs(ldns_pkt_additional(r.pkt.get()));
}
inline std::vector<std::string> question(const Reply& r) {
  return rrs(ldns_pkt_question(r.pkt.get()));
}

inline registry::Instance instance(const char* service, const char* id, const char* address,
                                   uint16_t port,
                                   registry::Protocol proto = registry::Protocol::tcp,
                                   uint16_t priority = 1, uint16_t weight = 1) {
  registry::Instance i;
  i.service = service;
  i.id = id;
  i.address = *registry::parse_address(address);
  i.port = port;
  i.protocol = proto;
  i.priority = priority;
  i.weight = weight;
  return i;
}

/// The zone most tests answer from, built through the real Registry:
///   payment: a1 10.0.0.1:8080 (meta), a2 10.0.0.2:8081, a3 [fd00::3]:8082 (tcp),
///            u1 10.0.0.4:5353 (udp)
///   idle:    i1 in maintenance (the service exists, nothing is served)
///   dnsonly: d1 10.0.1.1:53 udp only
/// SOA minimum / negative TTL 7, positive TTL 5, ns.svc.internal at 127.0.0.1 and ::1.
inline registry::Registry demo_registry() {
  registry::ZoneConfig zone;
  zone.ttl = 5;
  zone.negative_ttl = 7;
  zone.ns_addresses = {*registry::parse_address("127.0.0.1"), *registry::parse_address("::1")};
  registry::Registry reg(zone);
  auto a1 = instance("payment", "a1", "10.0.0.1", 8080, registry::Protocol::tcp, 1, 10);
  a1.meta = {{"zone", "eu-1"}, {"version", "1.2"}};
  reg.upsert(a1, 1);
  reg.upsert(instance("payment", "a2", "10.0.0.2", 8081, registry::Protocol::tcp, 2, 20), 1);
  reg.upsert(instance("payment", "a3", "fd00::3", 8082), 1);
  reg.upsert(instance("payment", "u1", "10.0.0.4", 5353, registry::Protocol::udp), 1);
  reg.upsert(instance("idle", "i1", "10.0.2.1", 80), 1);
  reg.set_status("idle", "i1", registry::Status::maintenance, "test", 1);
  reg.upsert(instance("dnsonly", "d1", "10.0.1.1", 53, registry::Protocol::udp), 1);
  return reg;
}

inline std::shared_ptr<const registry::Snapshot> demo_snapshot() {
  static std::shared_ptr<const registry::Snapshot> snap = demo_registry().publish();
  return snap;
}

}  // namespace srvd::dns::test
