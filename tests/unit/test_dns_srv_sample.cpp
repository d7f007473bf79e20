// test_dns_srv_sample.cpp -- truncated SRV answers keep load on priority and weight (RFC 2782).
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using srvd::registry::Registry;
using srvd::registry::ZoneConfig;

namespace {

// An SRV record as ldns parses it: target's first label (the id), priority, weight.
struct Srv {
  std::string id;
  unsigned priority;
  unsigned weight;
};

std::vector<Srv> srv_answers(const Reply& r) {
  std::vector<Srv> out;
  const ldns_rr_list* list = ldns_pkt_answer(r.pkt.get());
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    REQUIRE(ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV);
    CharPtr target(ldns_rdf2str(ldns_rr_rdf(rr, 3)));
    std::string t(target.get());
    out.push_back({t.substr(0, t.find('.')), ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)),
                   ldns_rdf2native_int16(ldns_rr_rdf(rr, 1))});
  }
  return out;
}

}  // namespace

TEST_CASE("srv sample: a cut SRV answer follows priority, then weight, and starves nobody",
          "[dns][tc][srv-sample]") {
  // 500 instances: 5 at priority 0 (the preferred group, which fits in any answer), then 495
  // at priority 1 with weights 1 to 5. Registered in id order, so the list order is fixed.
  Registry reg{ZoneConfig{}};
  std::map<std::string, unsigned> weight_of;
  for (int i = 0; i < 500; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "i%03d", i);
    uint16_t priority = i < 5 ? 0 : 1;
    uint16_t weight = i < 5 ? 10 : static_cast<uint16_t>(1 + i % 5);
    std::string addr = "10.3." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance("big", id, addr.c_str(), static_cast<uint16_t>(8000 + i),
                        srvd::registry::Protocol::tcp, priority, weight),
               1);
    weight_of[id] = weight;
  }
  auto snap = reg.publish();
  auto q = make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV);

  constexpr int kQueries = 10000;
  QueryContext ctx;
  std::map<std::string, int> seen;
  std::map<unsigned, int> first_by_weight;  // the first priority-1 record of each answer
  size_t kept = 0;
  for (int n = 0; n < kQueries; ++n) {
    Reply r = ask(*snap, q, Transport::udp, &ctx);
    REQUIRE(r.pkt);
    REQUIRE(r.wire.size() <= 512);
    REQUIRE(ldns_pkt_tc(r.pkt.get()));
    auto srv = srv_answers(r);
    REQUIRE(srv.size() == r.count(1));  // whole records only, as many as the header says
    REQUIRE(srv.size() >= 10);          // as many as fit, not just the preferred group
    // The priority-0 group comes first and whole, in every answer.
    for (size_t i = 0; i < srv.size(); ++i) {
      REQUIRE(srv[i].priority == (i < 5 ? 0u : 1u));
      ++seen[srv[i].id];
    }
    ++first_by_weight[srv[5].weight];
    kept += srv.size() - 5;
  }
  // Every instance appears: none starves because of its place in the list.
  CHECK(seen.size() == 500);
  for (int i = 0; i < 5; ++i) {
    CHECK(seen[std::string("i00") + std::to_string(i)] == kQueries);
  }
  // Within priority 1, appearances per instance follow weight: the mean count of an instance
  // of weight w, divided by w, is the same for every w (within 10 %).
  std::map<unsigned, double> sum;
  std::map<unsigned, int> members;
  for (const auto& [id, w] : weight_of) {
    if (id >= "i005") {
      sum[w] += seen[id];
      ++members[w];
    }
  }
  double total_weight = 0;
  for (const auto& [w, m] : members) {
    total_weight += double(w) * m;
  }
  for (const auto& [w, m] : members) {
    double expected = double(kept) * w / total_weight;  // per instance of weight w
    INFO("weight " << w << ": mean " << sum[w] / m << ", expected about " << expected);
    CHECK(sum[w] / m == Approx(expected).epsilon(0.10));
    // The first choice within the priority is a weighted draw too (RFC 2782 §"Usage rules").
    double first_expected = double(kQueries) * w * m / total_weight;
    CHECK(first_by_weight[w] == Approx(first_expected).epsilon(0.10));
  }

  // TCP carries the full set, in no particular order, without TC.
  Reply r = ask(*snap, q, Transport::tcp, &ctx);
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK(srv_answers(r).size() == 500);
}

TEST_CASE("srv sample: weight 0 is chosen rarely beside weights, uniformly among zeros",
          "[dns][tc][srv-sample]") {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < 60; ++i) {
    std::string id = "z" + std::to_string(100 + i);
    std::string addr = "10.4.0." + std::to_string(i + 1);
    reg.upsert(instance("mixed", id.c_str(), addr.c_str(), 80, srvd::registry::Protocol::tcp, 1,
                        i < 30 ? 0 : 5),
               1);
  }
  auto snap = reg.publish();
  auto q = make_query("_mixed._tcp.svc.internal.", LDNS_RR_TYPE_SRV);
  QueryContext ctx;
  int zero = 0;
  int positive = 0;
  for (int n = 0; n < 2000; ++n) {
    for (const auto& s : srv_answers(ask(*snap, q, Transport::udp, &ctx))) {
      (s.weight == 0 ? zero : positive) += 1;
    }
  }
  CHECK(positive > 0);
  CHECK(zero < positive / 20);

  Registry zeros{ZoneConfig{}};
  for (int i = 0; i < 60; ++i) {
    std::string id = "z" + std::to_string(100 + i);
    zeros.upsert(instance("zeros", id.c_str(), "10.4.1.1", 80, srvd::registry::Protocol::tcp, 1, 0),
                 1);
  }
  auto snap0 = zeros.publish();
  std::map<std::string, int> seen;
  auto q0 = make_query("_zeros._tcp.svc.internal.", LDNS_RR_TYPE_SRV);
  for (int n = 0; n < 2000; ++n) {
    for (const auto& s : srv_answers(ask(*snap0, q0, Transport::udp, &ctx))) {
      ++seen[s.id];
    }
  }
  CHECK(seen.size() == 60);
}

TEST_CASE("srv sample: a cut A answer gives every address the same share across queries",
          "[dns][tc][srv-sample]") {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < 40; ++i) {
    std::string id = "w" + std::to_string(i);
    std::string addr = "10.5.0." + std::to_string(i + 1);
    reg.upsert(instance("wide", id.c_str(), addr.c_str(), 80), 1);
  }
  auto snap = reg.publish();
  auto q = make_query("wide.svc.internal.", LDNS_RR_TYPE_A);
  QueryContext ctx;
  std::map<std::string, int> seen;
  for (int n = 0; n < 400; ++n) {
    Reply r = ask(*snap, q, Transport::udp, &ctx);
    REQUIRE(ldns_pkt_tc(r.pkt.get()));
    for (const auto& rr : answer(r)) {
      ++seen[rr];
    }
  }
  REQUIRE(seen.size() == 40);
  for (const auto& [rr, n] : seen) {
    INFO(rr);
    CHECK(n == seen.begin()->second);  // rotation: each address leads equally often
  }
}

TEST_CASE("srv sample: past 64 KiB even TCP is cut, whole and in priority order",
          "[dns][tc][srv-sample]") {
  Registry reg{ZoneConfig{}};
  for (int i = 0; i < 3000; ++i) {  // about 115 KB of SRV records
    char id[32];
    std::snprintf(id, sizeof id, "instance-number-%04d", i);
    std::string addr = "10.6." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance("huge", id, addr.c_str(), 80, srvd::registry::Protocol::tcp,
                        static_cast<uint16_t>(i % 3), static_cast<uint16_t>(1 + i % 4)),
               1);
  }
  auto snap = reg.publish();
  QueryContext ctx;
  Reply r =
      ask(*snap, make_query("_huge._tcp.svc.internal.", LDNS_RR_TYPE_SRV), Transport::tcp, &ctx);
  REQUIRE(r.pkt);
  CHECK(ldns_pkt_tc(r.pkt.get()));
  CHECK(r.wire.size() <= kMaxMessageSize);
  CHECK(r.wire.size() > kMaxMessageSize - 100);
  auto srv = srv_answers(r);
  CHECK(srv.size() == r.count(1));
  CHECK(srv.size() > 1000);  // all 1000 of priority 0, then part of priority 1
  for (size_t i = 1; i < srv.size(); ++i) {
    REQUIRE(srv[i - 1].priority <= srv[i].priority);
  }
  CHECK(srv[999].priority == 0);
  CHECK(srv.back().priority == 1);
}
