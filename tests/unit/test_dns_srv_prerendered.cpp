// test_dns_srv_prerendered.cpp -- SRV answers copied from registry::SrvAnswer match the
// record-by-record ones byte for byte, in every rotation, and follow changes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using srvd::registry::Protocol;
using srvd::registry::Registry;
using Strings = std::vector<std::string>;

namespace {

// "web": four tcp instances (IPv4 and IPv6, names of different lengths): prerendered.
// With `udp_extra`, one more instance under _udp, sorted last: the service mixes protocols,
// so its _tcp answer is written record by record from the same four instances.
Registry web(bool udp_extra) {
  Registry reg{srvd::registry::ZoneConfig{}};
  reg.upsert(instance("web", "a", "10.1.0.1", 8080, Protocol::tcp, 1, 10), 1);
  reg.upsert(instance("web", "bb", "fd00::b", 8081, Protocol::tcp, 2, 20), 1);
  reg.upsert(instance("web", "ccc-long-name", "10.1.0.3", 8082, Protocol::tcp, 1, 0), 1);
  reg.upsert(instance("web", "d", "10.1.0.4", 8083), 1);
  if (udp_extra) {
    reg.upsert(instance("web", "zz", "10.1.0.9", 53, Protocol::udp), 1);
  }
  return reg;
}

std::vector<uint8_t> raw_answer(const srvd::registry::Snapshot& s, const std::vector<uint8_t>& q,
                                uint64_t rotation, Transport t = Transport::udp) {
  QueryContext ctx;
  ctx.rotation = rotation;
  std::vector<uint8_t> out(kMaxMessageSize);
  out.resize(handle_query(s, q, out, t, ctx));
  return out;
}

std::string owner(const std::string& rr) { return rr.substr(0, rr.find(' ')); }
std::string target(const std::string& srv) { return srv.substr(srv.rfind(' ') + 1); }

}  // namespace

TEST_CASE("srv prerendered: bytes equal the record-by-record answer in every rotation",
          "[dns][answer][srv]") {
  auto fast = web(false).publish();
  auto slow = web(true).publish();
  REQUIRE(fast->find("web")->srv_answer[0].count() == 4);
  REQUIRE(slow->find("web")->srv_answer[0].count() == 0);  // mixed: not prerendered
  // The slow path rotates over all five instances, the fast one over four: for rotations
  // 0-3 both start at the same instance. The index differs, and only the SOA carries it.
  for (uint64_t rotation = 0; rotation < 4; ++rotation) {
    INFO("rotation " << rotation);
    for (int payload : {-1, 1232}) {
      auto q = make_query("_web._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = payload});
      CHECK(raw_answer(*fast, q, rotation) == raw_answer(*slow, q, rotation));
      CHECK(raw_answer(*fast, q, rotation, Transport::tcp) ==
            raw_answer(*slow, q, rotation, Transport::tcp));
    }
  }
}

TEST_CASE("srv prerendered: rotated, glue owners point at their targets, names in any case",
          "[dns][answer][srv]") {
  auto snap = web(false).publish();
  auto q = make_query("_WeB._TcP.Svc.INTERNAL.", LDNS_RR_TYPE_SRV, {.edns_payload = 1232});
  std::set<std::string> firsts;
  for (uint64_t rotation = 0; rotation < 8; ++rotation) {
    auto wire = raw_answer(*snap, q, rotation);
    Reply r = parse_reply(wire);
    REQUIRE(r.pkt);
    CHECK(question(r) == Strings{"_WeB._TcP.Svc.INTERNAL. IN SRV"});  // as asked (0x20)
    Strings an = answer(r);
    Strings ar = additional(r);
    REQUIRE(an.size() == 4);
    REQUIRE(ar.size() == 4);
    CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
    firsts.insert(target(an[0]));
    for (size_t i = 0; i < 4; ++i) {
      CHECK(owner(an[i]) == "_WeB._TcP.Svc.INTERNAL.");
      CHECK(an[i].find(" 5 IN SRV ") != std::string::npos);
      CHECK(owner(ar[i]) == target(an[i]));  // the patched pointer lands on the target
      CHECK(ar[i].find(" 5 IN A") != std::string::npos);
    }
  }
  CHECK(firsts.size() == 4);  // each instance leads in turn
}

TEST_CASE("srv prerendered: cut answers and dropped glue still work, and changes show",
          "[dns][answer][srv][tc]") {
  // 512 bytes hold seven 64-byte SRV records but not all their glue: the prerendered answer
  // does not fit, and the record-by-record path leaves glue out without TC; 6 are cut, TC.
  Registry longer{srvd::registry::ZoneConfig{}};
  for (int i = 0; i < 7; ++i) {
    std::string id = "instance-with-a-long-name-" + std::to_string(i);
    std::string addr = "10.4.0." + std::to_string(i + 1);
    longer.upsert(instance("long", id.c_str(), addr.c_str(), 80), 1);
  }
  auto seven = longer.publish();
  Reply small = ask(*seven, make_query("_long._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  REQUIRE(small.pkt);
  CHECK(answer(small).size() == 7);
  CHECK(additional(small).size() < 7);
  CHECK_FALSE(ldns_pkt_tc(small.pkt.get()));
  for (int i = 7; i < 12; ++i) {
    std::string id = "instance-with-a-long-name-" + std::to_string(i);
    std::string addr = "10.4.0." + std::to_string(i + 1);
    longer.upsert(instance("long", id.c_str(), addr.c_str(), 80), 2);
  }
  Reply cut = ask(*longer.publish(), make_query("_long._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  REQUIRE(cut.pkt);
  CHECK(ldns_pkt_tc(cut.pkt.get()));
  CHECK(answer(cut).size() < 12);
  CHECK(cut.wire.size() <= 512);

  Registry reg = web(false);
  auto before = reg.publish();

  reg.upsert(instance("web", "d", "10.1.0.44", 9999), 2);
  reg.upsert(instance("web", "e", "10.1.0.5", 8084), 2);
  auto after = reg.publish();
  Reply r = ask(*after, make_query("_web._tcp.svc.internal.", LDNS_RR_TYPE_SRV,
                                   {.edns_payload = 4096}));
  REQUIRE(r.pkt);
  Strings an = answer(r);
  CHECK(an.size() == 5);
  CHECK(std::count(an.begin(), an.end(),
                   "_web._tcp.svc.internal. 5 IN SRV 1 1 9999 d.web.svc.internal.") == 1);
  Strings ar = additional(r);
  CHECK(std::count(ar.begin(), ar.end(), "d.web.svc.internal. 5 IN A 10.1.0.44") == 1);
  CHECK(std::count(ar.begin(), ar.end(), "e.web.svc.internal. 5 IN A 10.1.0.5") == 1);
  // The old snapshot is unchanged (readers may still hold it).
  Reply old = ask(*before, make_query("_web._tcp.svc.internal.", LDNS_RR_TYPE_SRV,
                                      {.edns_payload = 4096}));
  CHECK(answer(old).size() == 4);
}
