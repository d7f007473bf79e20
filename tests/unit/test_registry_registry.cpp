// test_registry_registry.cpp -- registry changes, the change index, and published snapshots.
#include <catch2/catch.hpp>

#include "registry/registry.hpp"
#include "registry/render.hpp"
#include "test_registry_support.hpp"

using namespace srvd::registry;

namespace {

const Applied& applied(const Result<Applied>& r) {
  REQUIRE(std::holds_alternative<Applied>(r));
  return std::get<Applied>(r);
}

const Rejection& rejected(const Result<Applied>& r) {
  REQUIRE(std::holds_alternative<Rejection>(r));
  return std::get<Rejection>(r);
}

}  // namespace

TEST_CASE("registry: register, update, remove move the change index", "[registry]") {
  Registry reg(ZoneConfig{});
  CHECK(reg.index() == 0);
  auto a = applied(reg.upsert(make("Payment", "P1", "10.0.0.1", 8080), 1000));
  CHECK(a.created);
  CHECK(a.index == 1);
  CHECK(a.instance.service == "payment");
  CHECK(a.instance.id == "p1");
  CHECK(a.instance.registered_at_ms == 1000);

  // Same registration again: idempotent, no new index.
  auto same = applied(reg.upsert(make("payment", "p1", "10.0.0.1", 8080), 2000));
  CHECK_FALSE(same.created);
  CHECK(same.index == 1);
  CHECK(reg.index() == 1);

  auto moved = applied(reg.upsert(make("payment", "p1", "10.0.0.2", 8080), 3000));
  CHECK(moved.index == 2);
  CHECK(moved.instance.registered_at_ms == 1000);
  CHECK(moved.instance.updated_at_ms == 3000);
  CHECK(moved.instance.create_index == 1);
  CHECK(moved.instance.modify_index == 2);

  auto gone = applied(reg.remove("PAYMENT", "p1", 4000));
  CHECK(gone.index == 3);
  CHECK(reg.find("payment") == nullptr);
  CHECK(rejected(reg.remove("payment", "p1", 5000)).kind == Rejection::Kind::not_found);
  CHECK(reg.index() == 3);
}

TEST_CASE("registry: invalid registrations are refused and change nothing", "[registry]") {
  Registry reg(ZoneConfig{});
  CHECK(rejected(reg.upsert(make("bad_name", "a", "10.0.0.1", 1), 0)).kind ==
        Rejection::Kind::invalid);
  CHECK(rejected(reg.upsert(make("svc", "-a", "10.0.0.1", 1), 0)).message.find("instance id") !=
        std::string::npos);
  CHECK(rejected(reg.upsert(make("svc", "a", "10.0.0.1", 0), 0)).message.find("port") !=
        std::string::npos);
  CHECK(rejected(reg.upsert(make("ns", "a", "10.0.0.1", 1), 0)).message.find("reserved") !=
        std::string::npos);
  CHECK(reg.index() == 0);
  CHECK(reg.services().empty());
}

TEST_CASE("registry: operator status survives re-registration", "[registry]") {
  Registry reg(ZoneConfig{});
  applied(reg.upsert(make("web", "w1", "10.0.0.1", 80), 0));
  auto m = applied(reg.set_status("web", "W1", Status::maintenance, "deploy", 10));
  CHECK(m.index == 2);
  CHECK(m.instance.status == Status::maintenance);
  CHECK(m.instance.status_reason == "deploy");
  auto u = applied(reg.upsert(make("web", "w1", "10.0.0.1", 81), 20));
  CHECK(u.instance.status == Status::maintenance);
  // Setting the status it already has is not a change.
  CHECK(applied(reg.set_status("web", "w1", Status::maintenance, "deploy", 30)).index == 3);
  CHECK(reg.index() == 3);
  CHECK(rejected(reg.set_status("web", "nope", Status::healthy, "", 0)).kind ==
        Rejection::Kind::not_found);
}

TEST_CASE("registry: snapshots serve healthy instances and share unchanged services",
          "[registry][snapshot]") {
  Registry reg(ZoneConfig{});
  applied(reg.upsert(make("web", "w1", "10.0.0.1", 80), 0));
  applied(reg.upsert(make("web", "w2", "10.0.0.1", 81), 0));  // same host: one A record
  applied(reg.upsert(make("web", "w3", "2001:db8::1", 82), 0));
  applied(reg.upsert(make("db", "d1", "10.0.0.9", 5432), 0));
  auto s1 = reg.publish();
  CHECK(s1->index() == 4);
  CHECK_FALSE(reg.dirty());
  CHECK(reg.publish() == s1);

  const ServiceRecords* web = s1->find("web");
  REQUIRE(web != nullptr);
  CHECK(web->instances.size() == 3);
  CHECK(web->a.size() == 1);
  CHECK(web->aaaa.size() == 1);
  REQUIRE(web->find("w2") != nullptr);
  CHECK(web->find("w2")->port == 81);
  CHECK(s1->find("nope") == nullptr);

  applied(reg.set_status("web", "w1", Status::maintenance, "", 0));
  auto s2 = reg.publish();
  CHECK(s2->index() == 5);
  CHECK(s2->find("web")->find("w1") == nullptr);
  CHECK(s2->find("web")->instances.size() == 2);
  // The unchanged service is the same object in both snapshots; the old snapshot is intact.
  CHECK(s2->find("db") == s1->find("db"));
  CHECK(s1->find("web")->find("w1") != nullptr);

  applied(reg.remove("db", "d1", 0));
  CHECK(reg.publish()->find("db") == nullptr);
}

TEST_CASE("render: SRV RDATA holds priority, weight, port and an uncompressed target",
          "[render]") {
  ZoneConfig zone;
  zone.domain = "Svc.Internal.";
  Registry reg(zone);
  auto inst = make("pay", "p1", "10.0.0.1", 8080);
  inst.priority = 3;
  inst.weight = 258;
  inst.meta = {{"zone", "a"}, {"v", "2"}};
  applied(reg.upsert(inst, 0));
  auto snap = reg.publish();
  const ServedInstance* p1 = snap->find("pay")->find("p1");
  REQUIRE(p1 != nullptr);
  const std::vector<uint8_t> srv = {0, 3, 1, 2, 0x1f, 0x90, 2, 'p', '1', 3, 'p', 'a', 'y',
                                    3, 's', 'v', 'c', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};
  CHECK(std::vector<uint8_t>(p1->srv_rdata.begin(), p1->srv_rdata.end()) == srv);
  const std::vector<uint8_t> txt = {3, 'v', '=', '2', 6, 'z', 'o', 'n', 'e', '=', 'a'};
  CHECK(std::vector<uint8_t>(p1->txt_rdata.begin(), p1->txt_rdata.end()) == txt);
  CHECK(p1->id == "p1");

  const Apex& apex = snap->apex();
  CHECK(apex.domain_wire == *domain_to_wire("svc.internal"));
  // SOA serial (after MNAME "ns.svc.internal." and RNAME "hostmaster.svc.internal.").
  size_t serial_at = (3 + 14) + (11 + 14);
  REQUIRE(apex.soa_rdata.size() == serial_at + 20);
  CHECK(apex.soa_rdata[serial_at + 3] == 1);
}

TEST_CASE("render: domains must be names with room for service labels", "[render]") {
  CHECK(domain_to_wire("svc.internal").has_value());
  CHECK(domain_to_wire("example.com.").has_value());
  CHECK_FALSE(domain_to_wire("").has_value());
  CHECK_FALSE(domain_to_wire(".").has_value());
  CHECK_FALSE(domain_to_wire("a..b").has_value());
  CHECK_FALSE(domain_to_wire(std::string(130, 'a')).has_value());
  ZoneConfig bad;
  bad.domain = "bad domain";
  CHECK_THROWS(Registry(bad));
}
