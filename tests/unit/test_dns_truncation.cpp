// test_dns_truncation.cpp -- UDP size limits, TC with whole records only, full answers on TCP.
#include <catch2/catch.hpp>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using srvd::registry::Registry;
using srvd::registry::ZoneConfig;

namespace {

// `count` tcp instances of `service`, ids i000.., addresses 10.1.x.y.
std::shared_ptr<const srvd::registry::Snapshot> service_of(const char* service, int count) {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "i%03d", i);
    std::string addr = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance(service, id, addr.c_str(), static_cast<uint16_t>(8000 + i)), 1);
  }
  return reg.publish();
}

// What a resolver checks of a truncated reply: TC set, whole records only (ldns parsed it
// and found as many as the header declares), nothing after the cut section.
void require_truncated(const Reply& r, size_t limit) {
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= limit);
  CHECK(ldns_pkt_tc(r.pkt.get()));
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
  CHECK(r.count(1) > 0);
  CHECK(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt.get())) == r.count(1));
  CHECK(r.count(2) == 0);
  CHECK(additional(r).empty());
}

}  // namespace

TEST_CASE("truncation: SRV over UDP without EDNS fits 512 bytes, TC set", "[dns][tc]") {
  auto snap = service_of("big", 60);
  Reply r = ask(*snap, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  require_truncated(r, 512);
  CHECK(r.wire.size() > 512 - 40);  // as many records as fit, not just one
  CHECK_FALSE(ldns_pkt_edns(r.pkt.get()));
}

TEST_CASE("truncation: with EDNS the client's size counts, capped at 1232", "[dns][tc][edns]") {
  auto snap = service_of("big", 60);
  Reply r =
      ask(*snap, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 4096}));
  require_truncated(r, 1232);
  CHECK(r.wire.size() > 1232 - 40);
  CHECK(ldns_pkt_edns(r.pkt.get()));  // the OPT survives truncation
  CHECK(r.count(3) == 1);

  r = ask(*snap, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 800}));
  require_truncated(r, 800);
  CHECK(r.wire.size() > 800 - 40);

  r = ask(*snap, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 200}));
  require_truncated(r, 512);
}

TEST_CASE("truncation: TCP carries the full answer with its glue", "[dns][tc]") {
  auto snap = service_of("big", 500);
  Reply r = ask(*snap, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV), Transport::tcp);
  REQUIRE(r.pkt);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == 500);
  CHECK(additional(r).size() == 500);
  CHECK(r.wire.size() > 16384);  // glue beyond the 14-bit pointer range is written in full
  for (const auto& glue : additional(r)) {
    REQUIRE(glue.rfind("i", 0) == 0);
    REQUIRE(glue.find(".big.svc.internal. 5 IN A 10.1.") != std::string::npos);
  }
}

TEST_CASE("truncation: glue that does not fit is left out without TC", "[dns][tc]") {
  // Header 12 + question 28 + 11 SRV of 41 bytes = 491 of 512: the answer fits, and one
  // 16-byte glue A record still does.
  auto snap = service_of("mid", 11);
  Reply r = ask(*snap, make_query("_mid._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  REQUIRE(r.pkt);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == 11);
  CHECK(additional(r).size() == 1);
  CHECK(r.wire.size() <= 512);
}

TEST_CASE("truncation: A records are cut at the limit too", "[dns][tc]") {
  auto snap = service_of("wide", 40);
  Reply r = ask(*snap, make_query("wide.svc.internal.", LDNS_RR_TYPE_A));
  require_truncated(r, 512);
  CHECK(r.count(1) == (512 - 12 - 23) / 16);  // header, question (19 + 4), 16-byte A records
  r = ask(*snap, make_query("wide.svc.internal.", LDNS_RR_TYPE_A), Transport::tcp);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(answer(r).size() == 40);
}
