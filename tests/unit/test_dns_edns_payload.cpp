// test_dns_edns_payload.cpp -- srvd's EDNS payload setting (--edns-payload) against clients'.
#include <catch2/catch.hpp>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using srvd::registry::Registry;
using srvd::registry::ZoneConfig;

namespace {

std::shared_ptr<const srvd::registry::Snapshot> big_service() {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < 150; ++i) {  // about 6 KB of SRV records
    std::string id = "instance-" + std::to_string(i);
    std::string addr = "10.8.0." + std::to_string(i + 1);
    reg.upsert(instance("big", id.c_str(), addr.c_str(), 80), 1);
  }
  return reg.publish();
}

Reply ask_with(const srvd::registry::Snapshot& s, uint16_t ours, int client) {
  QueryContext ctx;
  ctx.edns_payload = ours;
  return ask(s, make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = client}),
             Transport::udp, &ctx);
}

}  // namespace

TEST_CASE("edns payload: ours is advertised and caps the client's (RFC 6891 §6.2.5)",
          "[dns][edns]") {
  auto snap = big_service();
  struct Case {
    uint16_t ours;
    int client;  // -1: no EDNS
    size_t limit;
  };
  for (Case c :
       {Case{4096, 4096, 4096}, Case{4096, 2000, 2000}, Case{4096, 100, 512}, Case{4096, -1, 512},
        Case{1232, 4096, 1232}, Case{512, 4096, 512}, Case{1232, 1232, 1232}}) {
    INFO("ours " << c.ours << ", client " << c.client);
    Reply r = ask_with(*snap, c.ours, c.client);
    REQUIRE(r.pkt);
    CHECK(ldns_pkt_tc(r.pkt.get()));
    CHECK(r.wire.size() <= c.limit);
    CHECK(r.wire.size() > c.limit - 60);  // filled up to the limit with whole records
    if (c.client >= 0) {
      CHECK(ldns_pkt_edns(r.pkt.get()));
      CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == c.ours);
    } else {
      CHECK_FALSE(ldns_pkt_edns(r.pkt.get()));
    }
  }
}
