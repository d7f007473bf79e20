// test_dns_dnssd.cpp -- DNS-SD (RFC 6763): enumeration, browsing PTRs, instance SRV and TXT.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using srvd::registry::Registry;
using srvd::registry::ZoneConfig;
using Strings = std::vector<std::string>;

namespace {

Strings sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

Reply query(const char* name, ldns_rr_type type, const QueryOptions& o = {}) {
  return ask(*demo_snapshot(), make_query(name, type, o));
}

void require_positive(const Reply& r) {
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(authority(r).empty());
}

// NODATA or NXDOMAIN with the apex SOA (negative TTL 7) in authority (RFC 2308).
void require_negative(const char* name, ldns_rr_type type, ldns_pkt_rcode rcode) {
  INFO(name << " type " << type);
  Reply r = query(name, type);
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == rcode);
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(answer(r).empty());
  REQUIRE(authority(r).size() == 1);
  CHECK(authority(r)[0].rfind("svc.internal. 7 IN SOA ", 0) == 0);
}

}  // namespace

TEST_CASE("dnssd: _services._dns-sd._udp lists each service type with a served instance",
          "[dns][dnssd]") {
  Reply r = query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR);
  require_positive(r);
  // idle has nothing served; payment has both protocols; dnsonly only udp (RFC 6763 §9).
  CHECK(sorted(answer(r)) ==
        Strings{
            "_services._dns-sd._udp.svc.internal. 5 IN PTR _dnsonly._udp.svc.internal.",
            "_services._dns-sd._udp.svc.internal. 5 IN PTR _payment._tcp.svc.internal.",
            "_services._dns-sd._udp.svc.internal. 5 IN PTR _payment._udp.svc.internal.",
        });
  CHECK(additional(r).empty());
  CHECK(sorted(answer(query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_ANY))) ==
        sorted(answer(r)));

  require_negative("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
  // Empty non-terminal above it (RFC 8020), and names beside it that do not exist.
  require_negative("_dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR);
  require_negative("_dns-sd._udp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
  require_negative("_services._dns-sd._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NXDOMAIN);
  require_negative("_dns-sd._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NXDOMAIN);
  require_negative("x._services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("dnssd: the enumeration name exists with no data in an empty registry", "[dns][dnssd]") {
  Registry reg{ZoneConfig{}};
  auto snap = reg.publish();
  Reply r = ask(*snap, make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR));
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
  CHECK(answer(r).empty());
  CHECK(authority(r).size() == 1);
}

TEST_CASE("dnssd: PTR at _<service>._tcp browses instances, with SRV, TXT and addresses",
          "[dns][dnssd]") {
  Reply r = query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_PTR);
  require_positive(r);
  CHECK(sorted(answer(r)) ==
        Strings{
            "_payment._tcp.svc.internal. 5 IN PTR a1._payment._tcp.svc.internal.",
            "_payment._tcp.svc.internal. 5 IN PTR a2._payment._tcp.svc.internal.",
            "_payment._tcp.svc.internal. 5 IN PTR a3._payment._tcp.svc.internal.",
        });
  // RFC 6763 §12.1: the SRV and TXT of each instance and the address of each target.
  CHECK(sorted(additional(r)) ==
        Strings{
            "a1._payment._tcp.svc.internal. 5 IN SRV 1 10 8080 a1.payment.svc.internal.",
            "a1._payment._tcp.svc.internal. 5 IN TXT \"version=1.2\" \"zone=eu-1\"",
            "a1.payment.svc.internal. 5 IN A 10.0.0.1",
            "a2._payment._tcp.svc.internal. 5 IN SRV 2 20 8081 a2.payment.svc.internal.",
            "a2._payment._tcp.svc.internal. 5 IN TXT \"\"",
            "a2.payment.svc.internal. 5 IN A 10.0.0.2",
            "a3._payment._tcp.svc.internal. 5 IN SRV 1 1 8082 a3.payment.svc.internal.",
            "a3._payment._tcp.svc.internal. 5 IN TXT \"\"",
            "a3.payment.svc.internal. 5 IN AAAA fd00::3",
        });
  // PTR RDATA is compressed against the question: "\2a1" + pointer, 5 bytes.
  std::string wire(r.wire.begin(), r.wire.end());
  CHECK(wire.find(std::string("\x02") + "a1\xC0\x0C") != std::string::npos);

  r = query("_payment._udp.svc.internal.", LDNS_RR_TYPE_PTR);
  require_positive(r);
  CHECK(answer(r) ==
        Strings{"_payment._udp.svc.internal. 5 IN PTR u1._payment._udp.svc.internal."});
  CHECK(sorted(additional(r)) ==
        Strings{"u1._payment._udp.svc.internal. 5 IN SRV 1 1 5353 u1.payment.svc.internal.",
                "u1._payment._udp.svc.internal. 5 IN TXT \"\"",
                "u1.payment.svc.internal. 5 IN A 10.0.0.4"});

  require_negative("_idle._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR);
  require_negative("_dnsonly._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR);
  require_negative("_nosuch._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NXDOMAIN);
  // ANY there stays one RRset, the SRV (RFC 8482).
  CHECK(answer(query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_ANY)).at(0).find(" SRV ") !=
        std::string::npos);
}

TEST_CASE("dnssd: an instance name holds the instance's SRV (with its address) and TXT",
          "[dns][dnssd]") {
  Reply r = query("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV);
  require_positive(r);
  // The same SRV data as under _payment._tcp, target <id>.<service>.<domain>.
  CHECK(answer(r) == Strings{"a1._payment._tcp.svc.internal. 5 IN SRV 1 10 8080 "
                             "a1.payment.svc.internal."});
  CHECK(additional(r) == Strings{"a1.payment.svc.internal. 5 IN A 10.0.0.1"});

  r = query("a3._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV);
  CHECK(additional(r) == Strings{"a3.payment.svc.internal. 5 IN AAAA fd00::3"});

  r = query("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_TXT);
  require_positive(r);
  CHECK(answer(r) ==
        Strings{"a1._payment._tcp.svc.internal. 5 IN TXT \"version=1.2\" \"zone=eu-1\""});
  CHECK(additional(r).empty());

  r = query("A1._PayMent._TCP.svc.INTERNAL.", LDNS_RR_TYPE_ANY);
  require_positive(r);
  CHECK(question(r) == Strings{"A1._PayMent._TCP.svc.INTERNAL. IN ANY"});
  REQUIRE(answer(r).size() == 1);
  CHECK(answer(r)[0].find(" IN SRV 1 10 8080 a1.payment.svc.internal.") != std::string::npos);

  r = query("u1._payment._udp.svc.internal.", LDNS_RR_TYPE_SRV);
  CHECK(answer(r) ==
        Strings{"u1._payment._udp.svc.internal. 5 IN SRV 1 1 5353 u1.payment.svc.internal."});

  require_negative("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_PTR, LDNS_RCODE_NOERROR);
  require_negative("u1._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("a1._payment._udp.svc.internal.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
  require_negative("zz._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("i1._idle._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("a1._nosuch._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("a1.payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("a1._payment._sctp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("x.a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("dnssd: a service named dns-sd does not clash with the enumeration names",
          "[dns][dnssd]") {
  Registry reg{ZoneConfig{}};
  reg.upsert(instance("dns-sd", "x1", "192.0.2.1", 53, srvd::registry::Protocol::udp), 1);
  reg.upsert(instance("services", "s1", "192.0.2.2", 80), 1);
  auto snap = reg.publish();
  Reply r = ask(*snap, make_query("_dns-sd._udp.svc.internal.", LDNS_RR_TYPE_SRV));
  CHECK(answer(r) == Strings{"_dns-sd._udp.svc.internal. 5 IN SRV 1 1 53 x1.dns-sd.svc.internal."});
  r = ask(*snap, make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR));
  CHECK(sorted(answer(r)) ==
        Strings{"_services._dns-sd._udp.svc.internal. 5 IN PTR _dns-sd._udp.svc.internal.",
                "_services._dns-sd._udp.svc.internal. 5 IN PTR _services._tcp.svc.internal."});
  r = ask(*snap, make_query("s1._services._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  CHECK(answer(r) ==
        Strings{"s1._services._tcp.svc.internal. 5 IN SRV 1 1 80 s1.services.svc.internal."});
}

TEST_CASE("dnssd: a service name of 63 characters has no _<service> names to enumerate",
          "[dns][dnssd]") {
  Registry reg{ZoneConfig{}};
  std::string long_name(63, 'l');
  reg.upsert(instance(long_name.c_str(), "x1", "192.0.2.1", 80), 1);
  reg.upsert(instance("web", "w1", "192.0.2.2", 80), 1);
  auto snap = reg.publish();
  Reply r = ask(*snap, make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR));
  CHECK(answer(r) ==
        Strings{"_services._dns-sd._udp.svc.internal. 5 IN PTR _web._tcp.svc.internal."});
}

TEST_CASE("dnssd: a browse answer too big for UDP sets TC and comes whole over TCP",
          "[dns][dnssd][tc]") {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < 300; ++i) {
    std::string id = "instance-" + std::to_string(i);
    std::string addr = "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance("big", id.c_str(), addr.c_str(), static_cast<uint16_t>(9000 + i)), 1);
  }
  auto snap = reg.publish();
  auto q = make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_PTR);
  Reply r = ask(*snap, q);
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= 512);
  CHECK(ldns_pkt_tc(r.pkt.get()));
  CHECK(r.count(1) > 10);
  CHECK(answer(r).size() == r.count(1));  // whole records only
  CHECK(r.count(3) == 0);

  r = ask(*snap, q, Transport::tcp);
  REQUIRE(r.pkt);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == 300);
  // Additional data fills what the 14-bit pointers reach and the message holds; every record
  // there is whole and belongs to an instance in the answer.
  CHECK(additional(r).size() >= 3 * 100);
  CHECK(additional(r).size() % 3 == 0);

  // Many service types: the enumeration is cut whole as well.
  Registry many{ZoneConfig{}};
  for (int i = 0; i < 100; ++i) {
    std::string svc = "service-number-" + std::to_string(i);
    many.upsert(instance(svc.c_str(), "x", "192.0.2.1", 80), 1);
  }
  auto snap2 = many.publish();
  auto e = make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR);
  r = ask(*snap2, e);
  CHECK(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == r.count(1));
  r = ask(*snap2, e, Transport::tcp);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == 100);
}
