// test_dns_answer.cpp -- what resolvers see for each kind of name, checked through ldns.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using Strings = std::vector<std::string>;

namespace {

Strings sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string soa_line(const char* owner, uint32_t ttl) {
  return std::string(owner) + " " + std::to_string(ttl) +
         " IN SOA ns.svc.internal. hostmaster.svc.internal. " +
         std::to_string(demo_snapshot()->index()) + " 14400 3600 1209600 7";
}

// Header bits every authoritative answer to a default query carries (QR AA RD; not TC RA AD).
void require_authoritative(const Reply& r, ldns_pkt_rcode rcode, uint16_t id = 0x1234) {
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_id(r.pkt.get()) == id);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == rcode);
  CHECK(ldns_pkt_qr(r.pkt.get()));
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(ldns_pkt_rd(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_ra(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_ad(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_cd(r.pkt.get()));
  CHECK(ldns_pkt_get_opcode(r.pkt.get()) == LDNS_PACKET_QUERY);
  CHECK(r.count(0) == 1);
}

Reply query(const char* name, ldns_rr_type type, const QueryOptions& o = {}) {
  return ask(*demo_snapshot(), make_query(name, type, o));
}

// NXDOMAIN or NODATA: empty answer, the SOA in authority with the negative TTL (RFC 2308).
void require_negative(const char* name, ldns_rr_type type, ldns_pkt_rcode rcode) {
  INFO(name);
  Reply r = query(name, type);
  require_authoritative(r, rcode);
  CHECK(answer(r).empty());
  CHECK(authority(r) == Strings{soa_line("svc.internal.", 7)});
  CHECK(additional(r).empty());
}

}  // namespace

TEST_CASE("answer: SRV under _tcp lists served tcp instances, with their addresses as glue",
          "[dns][answer]") {
  Reply r = query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.id = 0xBEEF});
  require_authoritative(r, LDNS_RCODE_NOERROR, 0xBEEF);
  CHECK(sorted(answer(r)) ==
        Strings{
            "_payment._tcp.svc.internal. 5 IN SRV 1 1 8082 a3.payment.svc.internal.",
            "_payment._tcp.svc.internal. 5 IN SRV 1 10 8080 a1.payment.svc.internal.",
            "_payment._tcp.svc.internal. 5 IN SRV 2 20 8081 a2.payment.svc.internal.",
        });
  CHECK(authority(r).empty());
  CHECK(sorted(additional(r)) == Strings{
                                     "a1.payment.svc.internal. 5 IN A 10.0.0.1",
                                     "a2.payment.svc.internal. 5 IN A 10.0.0.2",
                                     "a3.payment.svc.internal. 5 IN AAAA fd00::3",
                                 });
  CHECK(r.count(1) == 3);
  CHECK(r.count(2) == 0);
  CHECK(r.count(3) == 3);
  // Glue owners are compression pointers to the targets, which appear once, uncompressed.
  std::string wire(r.wire.begin(), r.wire.end());
  const std::string target = std::string("\x02") + "a1\x07payment\x03svc\x08internal";
  CHECK(wire.find(target) != std::string::npos);
  CHECK(wire.find(target) == wire.rfind(target));
}

TEST_CASE("answer: SRV under _udp lists only udp instances", "[dns][answer]") {
  Reply r = query("_payment._udp.svc.internal.", LDNS_RR_TYPE_SRV);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) ==
        Strings{"_payment._udp.svc.internal. 5 IN SRV 1 1 5353 u1.payment.svc.internal."});
  CHECK(additional(r) == Strings{"u1.payment.svc.internal. 5 IN A 10.0.0.4"});
}

TEST_CASE("answer: SRV names without matching instances are NODATA, unknown services NXDOMAIN",
          "[dns][answer]") {
  require_negative("_dnsonly._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
  require_negative("_idle._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
  require_negative("_payment._tcp.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("_nosuch._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("_payment._sctp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
  require_negative("x._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("answer: service A and AAAA hold every served address, rotated per query",
          "[dns][answer]") {
  QueryContext ctx;
  auto q = make_query("payment.svc.internal.", LDNS_RR_TYPE_A);
  std::set<std::string> firsts;
  for (int i = 0; i < 3; ++i) {
    Reply r = ask(*demo_snapshot(), q, Transport::udp, &ctx);
    require_authoritative(r, LDNS_RCODE_NOERROR);
    Strings a = answer(r);
    CHECK(sorted(a) == Strings{"payment.svc.internal. 5 IN A 10.0.0.1",
                               "payment.svc.internal. 5 IN A 10.0.0.2",
                               "payment.svc.internal. 5 IN A 10.0.0.4"});
    firsts.insert(a.at(0));
    CHECK(authority(r).empty());
    CHECK(additional(r).empty());
  }
  CHECK(firsts.size() == 3);  // three queries, three different first records

  Reply r = query("payment.svc.internal.", LDNS_RR_TYPE_AAAA);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"payment.svc.internal. 5 IN AAAA fd00::3"});
  require_negative("dnsonly.svc.internal.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
  require_negative("payment.svc.internal.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
}

TEST_CASE("answer: an instance name has its address and its meta as TXT", "[dns][answer]") {
  Reply r = query("a1.payment.svc.internal.", LDNS_RR_TYPE_A);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"a1.payment.svc.internal. 5 IN A 10.0.0.1"});

  r = query("a3.payment.svc.internal.", LDNS_RR_TYPE_AAAA);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"a3.payment.svc.internal. 5 IN AAAA fd00::3"});

  r = query("a1.payment.svc.internal.", LDNS_RR_TYPE_TXT);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"a1.payment.svc.internal. 5 IN TXT \"version=1.2\" \"zone=eu-1\""});

  r = query("a2.payment.svc.internal.", LDNS_RR_TYPE_TXT);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"a2.payment.svc.internal. 5 IN TXT \"\""});

  require_negative("a3.payment.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("a1.payment.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
}

TEST_CASE("answer: the apex has SOA and NS, with ns.<domain> as glue and as a name",
          "[dns][answer]") {
  Reply r = query("svc.internal.", LDNS_RR_TYPE_SOA);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{soa_line("svc.internal.", 5)});
  CHECK(authority(r).empty());

  r = query("svc.internal.", LDNS_RR_TYPE_NS);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"svc.internal. 5 IN NS ns.svc.internal."});
  CHECK(additional(r) ==
        Strings{"ns.svc.internal. 5 IN A 127.0.0.1", "ns.svc.internal. 5 IN AAAA ::1"});

  r = query("ns.svc.internal.", LDNS_RR_TYPE_A);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r) == Strings{"ns.svc.internal. 5 IN A 127.0.0.1"});
  r = query("ns.svc.internal.", LDNS_RR_TYPE_AAAA);
  CHECK(answer(r) == Strings{"ns.svc.internal. 5 IN AAAA ::1"});

  require_negative("svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("ns.svc.internal.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
}

TEST_CASE("answer: names that do not exist are NXDOMAIN with the SOA", "[dns][answer]") {
  require_negative("nosuch.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
  require_negative("zz.payment.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
  require_negative("i1.idle.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);  // not served
  require_negative("x.a1.payment.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
  require_negative("_foo.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
  require_negative("x.ns.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("answer: empty non-terminals and served-nothing services are NODATA (RFC 8020)",
          "[dns][answer]") {
  require_negative("_tcp.svc.internal.", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR);
  require_negative("_udp.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  require_negative("idle.svc.internal.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
  // payment.<domain> exists both with records and above its instances.
  require_negative("payment.svc.internal.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
}

TEST_CASE("answer: names outside the domain and other classes are REFUSED without AA",
          "[dns][answer]") {
  for (const char* name :
       {"example.com.", "internal.", "xsvc.internal.", "svc.internal.example.", "."}) {
    INFO(name);
    Reply r = query(name, LDNS_RR_TYPE_A);
    REQUIRE(r.pkt);
    CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_REFUSED);
    CHECK(ldns_pkt_qr(r.pkt.get()));
    CHECK_FALSE(ldns_pkt_aa(r.pkt.get()));
    CHECK_FALSE(ldns_pkt_ra(r.pkt.get()));
    CHECK(r.count(0) == 1);
    CHECK(r.count(1) + r.count(2) + r.count(3) == 0);
  }
  Reply r = query("payment.svc.internal.", LDNS_RR_TYPE_A, {.qclass = LDNS_RR_CLASS_CH});
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_REFUSED);
  CHECK_FALSE(ldns_pkt_aa(r.pkt.get()));
  r = query("svc.internal.", LDNS_RR_TYPE_AXFR);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_REFUSED);
}

TEST_CASE("answer: matching ignores case and the question comes back as asked (0x20)",
          "[dns][answer]") {
  auto q = make_query("_PayMent._TcP.sVc.InTeRnAl.", LDNS_RR_TYPE_SRV);
  Reply r = ask(*demo_snapshot(), q);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(question(r) == Strings{"_PayMent._TcP.sVc.InTeRnAl. IN SRV"});
  CHECK(std::equal(q.begin() + 12, q.end(), r.wire.begin() + 12));
  CHECK(answer(r).size() == 3);
  // Negative answers too: the SOA owner points into the question, in its case.
  r = ask(*demo_snapshot(), make_query("NoSuch.SVC.internal.", LDNS_RR_TYPE_A));
  require_authoritative(r, LDNS_RCODE_NXDOMAIN);
  CHECK(authority(r) == Strings{soa_line("SVC.internal.", 7)});
}

TEST_CASE("answer: RD and CD are copied from the query", "[dns][answer]") {
  Reply r = query("payment.svc.internal.", LDNS_RR_TYPE_A, {.rd = false, .cd = true});
  CHECK_FALSE(ldns_pkt_rd(r.pkt.get()));
  CHECK(ldns_pkt_cd(r.pkt.get()));
  CHECK(ldns_pkt_aa(r.pkt.get()));
}

TEST_CASE("answer: ANY gets one RRset (RFC 8482)", "[dns][answer]") {
  Reply r = query("payment.svc.internal.", LDNS_RR_TYPE_ANY);
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(answer(r).size() == 3);
  r = query("svc.internal.", LDNS_RR_TYPE_ANY);
  CHECK(answer(r) == Strings{soa_line("svc.internal.", 5)});
  r = query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_ANY);
  CHECK(answer(r).size() == 3);
}

TEST_CASE("answer: EDNS is echoed with our payload size, version 0, DO clear",
          "[dns][answer][edns]") {
  Reply r =
      query("payment.svc.internal.", LDNS_RR_TYPE_A, {.edns_payload = 4096, .dnssec_ok = true});
  require_authoritative(r, LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_edns(r.pkt.get()));
  CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1232);
  CHECK(ldns_pkt_edns_version(r.pkt.get()) == 0);
  CHECK(ldns_pkt_edns_extended_rcode(r.pkt.get()) == 0);
  CHECK_FALSE(ldns_pkt_edns_do(r.pkt.get()));
  CHECK(r.count(3) == 1);  // only the OPT
  CHECK(answer(r).size() == 3);

  r = query("payment.svc.internal.", LDNS_RR_TYPE_A);
  CHECK_FALSE(ldns_pkt_edns(r.pkt.get()));
  CHECK(r.count(3) == 0);

  r = query("nosuch.svc.internal.", LDNS_RR_TYPE_A, {.edns_payload = 1232});
  require_authoritative(r, LDNS_RCODE_NXDOMAIN);
  CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1232);
  CHECK(authority(r).size() == 1);
}

TEST_CASE("answer: an unknown EDNS version gets BADVERS (RFC 6891 §6.1.3)", "[dns][answer][edns]") {
  Reply r =
      query("payment.svc.internal.", LDNS_RR_TYPE_A, {.edns_payload = 1232, .edns_version = 1});
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == 0);  // low four bits of 16
  CHECK(ldns_pkt_edns_extended_rcode(r.pkt.get()) == 1);
  CHECK(ldns_pkt_edns_version(r.pkt.get()) == 0);
  CHECK(answer(r).empty());
  CHECK_FALSE(ldns_pkt_aa(r.pkt.get()));
}

TEST_CASE("answer: positive and negative TTLs follow the apex settings", "[dns][answer]") {
  srvd::registry::ZoneConfig zone;
  zone.domain = "Example.ORG.";
  zone.ttl = 30;
  zone.negative_ttl = 60;
  srvd::registry::Registry reg(zone);
  reg.upsert(instance("web", "w1", "192.0.2.1", 80), 1);
  auto snap = reg.publish();
  Reply r = ask(*snap, make_query("web.example.org.", LDNS_RR_TYPE_A));
  CHECK(answer(r) == Strings{"web.example.org. 30 IN A 192.0.2.1"});
  r = ask(*snap, make_query("nope.example.org.", LDNS_RR_TYPE_A));
  REQUIRE(authority(r).size() == 1);
  CHECK(authority(r)[0].rfind("example.org. 60 IN SOA ", 0) == 0);
  r = ask(*snap, make_query("web.svc.internal.", LDNS_RR_TYPE_A));
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_REFUSED);
}
