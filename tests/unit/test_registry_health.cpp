// test_registry_health.cpp -- the health state machine: TTL, checks with rise/fall, override,
// drain.
#include <catch2/catch.hpp>

#include "registry/duration.hpp"
#include "registry/registry.hpp"

using namespace srvd::registry;

namespace {

constexpr int64_t T0 = 1'000'000;  // a fake clock: every call passes its own "now"

Instance make(std::string id) {
  Instance i;
  i.service = "web";
  i.id = std::move(id);
  i.address = *parse_address("10.0.0.1");
  i.port = 80;
  return i;
}

Instance with_ttl(std::string id, uint64_t ttl_ms, uint64_t deregister_after_ms = 0) {
  Instance i = make(std::move(id));
  i.ttl_ms = ttl_ms;
  i.deregister_after_ms = deregister_after_ms;
  return i;
}

Instance with_check(std::string id, uint16_t rise = 1, uint16_t fall = 1) {
  Instance i = make(std::move(id));
  i.check = CheckSpec{.kind = CheckSpec::Kind::tcp,
                      .target = "127.0.0.1:9",
                      .interval_ms = 1000,
                      .timeout_ms = 500,
                      .rise = rise,
                      .fall = fall};
  return i;
}

const Applied& applied(const Result<Applied>& r) {
  REQUIRE(std::holds_alternative<Applied>(r));
  return std::get<Applied>(r);
}

const Rejection& rejected(const Result<Applied>& r) {
  REQUIRE(std::holds_alternative<Rejection>(r));
  return std::get<Rejection>(r);
}

Status status_of(const Registry& reg, const std::string& id) {
  return reg.find("web")->at(id).status;
}

/// Records start/stop calls, as the health/ runner would receive them.
struct FakeRunner : CheckRunner {
  std::vector<std::string> calls;
  void start(const std::string& s, const std::string& id, const CheckSpec&) override {
    calls.push_back("start " + s + "/" + id);
  }
  void stop(const std::string& s, const std::string& id) override {
    calls.push_back("stop " + s + "/" + id);
  }
};

CheckResult pass() { return {Status::healthy, "HTTP 200"}; }
CheckResult fail_run() { return {Status::critical, "HTTP 500"}; }

}  // namespace

TEST_CASE("duration: Go-style strings to milliseconds and back", "[registry]") {
  CHECK(parse_duration("500ms") == 500u);
  CHECK(parse_duration("10s") == 10000u);
  CHECK(parse_duration("1m") == 60000u);
  CHECK(parse_duration("1h") == 3600000u);
  CHECK(parse_duration("1m30s") == 90000u);
  CHECK(parse_duration("0s") == 0u);
  for (const char* bad : {"", "10", "s", "1.5s", "-1s", "10 s", "1d", "99999999999999999999s"}) {
    CHECK_FALSE(parse_duration(bad));
  }
  CHECK(format_duration(90000) == "1m30s");
  CHECK(format_duration(1500) == "1500ms");
  CHECK(format_duration(3600000) == "1h");
  CHECK(format_duration(0) == "0s");
  CHECK(parse_duration(format_duration(3723004)) == 3723004u);
}

TEST_CASE("health: initial states by kind of registration", "[registry]") {
  Registry reg(ZoneConfig{});
  auto plain = applied(reg.upsert(make("p1"), T0)).instance;
  CHECK(plain.status == Status::healthy);
  CHECK(plain.heartbeat_at_ms == 0);
  auto ttl = applied(reg.upsert(with_ttl("t1", 10000), T0)).instance;
  CHECK(ttl.status == Status::healthy);
  CHECK(ttl.heartbeat_at_ms == T0);  // the registration is the first heartbeat
  auto checked = applied(reg.upsert(with_check("c1"), T0)).instance;
  CHECK(checked.status == Status::critical);
  CHECK(checked.check_output == "pending first check");
  CHECK(checked.status_changed_at_ms == T0);
  auto snap = reg.publish();
  CHECK(snap->find("web")->instances.size() == 2);  // not the pending one
}

TEST_CASE("health: TTL expiry, heartbeat, re-registration and deregister_after", "[registry]") {
  Registry reg(
      ZoneConfig{.domain = "svc.internal", .ttl = 5, .negative_ttl = 5, .ns_addresses = {}});
  applied(reg.upsert(with_ttl("t1", 2000, 5000), T0));
  CHECK(reg.next_deadline_ms() == T0 + 2000);
  CHECK(reg.expire(T0 + 1999) == 0);
  applied(reg.heartbeat("web", "t1", T0 + 1500));
  CHECK(reg.expire(T0 + 3000) == 0);  // renewed: due at 3500 now
  uint64_t before = reg.index();
  CHECK(reg.expire(T0 + 3500) == 1);
  CHECK(reg.index() == before + 1);
  CHECK(status_of(reg, "t1") == Status::critical);
  CHECK(reg.find("web")->at("t1").check_output == "TTL expired");
  CHECK(reg.expire(T0 + 3600) == 0);  // expired once, not again

  auto back = applied(reg.heartbeat("web", "t1", T0 + 4000));
  CHECK(back.instance.status == Status::healthy);
  CHECK(back.index == before + 2);
  CHECK(back.instance.status_changed_at_ms == T0 + 4000);
  // A heartbeat that changes no status moves no index.
  CHECK(applied(reg.heartbeat("web", "t1", T0 + 4100)).index == before + 2);

  CHECK(reg.expire(T0 + 6100) == 1);
  CHECK(status_of(reg, "t1") == Status::critical);
  applied(reg.upsert(with_ttl("t1", 2000, 5000), T0 + 6200));  // re-registering renews too
  CHECK(status_of(reg, "t1") == Status::healthy);

  // Critical for deregister_after: removed from the registry.
  CHECK(reg.expire(T0 + 8200) == 1);
  CHECK(reg.next_deadline_ms() == T0 + 8200 + 5000);
  CHECK(reg.expire(T0 + 13199) == 0);
  CHECK(reg.expire(T0 + 13200) == 1);
  CHECK(reg.find("web") == nullptr);

  CHECK(rejected(reg.heartbeat("web", "t1", T0)).kind == Rejection::Kind::not_found);
  CHECK_THAT(rejected(reg.heartbeat("web", "t1", T0)).message,
             Catch::Contains("register it again"));
  applied(reg.upsert(make("p1"), T0));
  CHECK(rejected(reg.heartbeat("web", "p1", T0)).kind == Rejection::Kind::invalid);
}

TEST_CASE("health: a tick looks at due deadlines only, not at every instance", "[registry]") {
  Registry reg(
      ZoneConfig{.domain = "svc.internal", .ttl = 5, .negative_ttl = 5, .ns_addresses = {}});
  for (int i = 0; i < 1000; ++i) {
    applied(reg.upsert(with_ttl("far" + std::to_string(i), 3'600'000, 60'000), T0));
  }
  applied(reg.upsert(with_ttl("near", 2000, 1000), T0));
  for (int64_t now = T0 + 200; now < T0 + 2000; now += 200) {
    CHECK(reg.expire(now) == 0);
    applied(reg.heartbeat("web", "far7", now));  // moves a deadline later: no new entry
  }
  CHECK(reg.deadline_entries_examined() == 0);
  CHECK(reg.next_deadline_ms() == T0 + 2000);
  CHECK(reg.expire(T0 + 2000) == 1);
  CHECK(reg.deadline_entries_examined() == 1);
  CHECK(status_of(reg, "near") == Status::critical);
  CHECK(reg.next_deadline_ms() == T0 + 3000);  // its deregister_after
  CHECK(reg.expire(T0 + 3000) == 1);
  CHECK(reg.deadline_entries_examined() == 2);
  CHECK_FALSE(reg.find("web")->contains("near"));
  // far0 is due first (far7 was renewed); its entry comes up once, far7's is moved on.
  CHECK(reg.next_deadline_ms() == T0 + 3'600'000);
  CHECK(reg.expire(T0 + 3'600'000) == 999);
  CHECK(status_of(reg, "far7") == Status::healthy);
  CHECK(reg.next_deadline_ms() == T0 + 1800 + 3'600'000);
}

TEST_CASE("health: check results with rise and fall; same status moves no index", "[registry]") {
  Registry reg(ZoneConfig{});
  FakeRunner runner;
  reg.set_check_runner(&runner);
  applied(reg.upsert(with_check("c1", 2, 3), T0));
  CHECK(runner.calls == std::vector<std::string>{"start web/c1"});

  // The first run decides at once, whatever rise says (issue 4 §4).
  applied(reg.record_check("web", "c1", pass(), T0 + 10));
  CHECK(status_of(reg, "c1") == Status::healthy);
  uint64_t idx = reg.index();

  // fall = 3: two failures keep it served, with the new output but no new index.
  applied(reg.record_check("web", "c1", fail_run(), T0 + 1000));
  applied(reg.record_check("web", "c1", fail_run(), T0 + 2000));
  CHECK(status_of(reg, "c1") == Status::healthy);
  CHECK(reg.index() == idx);
  CHECK(reg.find("web")->at("c1").check_output == "HTTP 500");
  CHECK(reg.find("web")->at("c1").checked_at_ms == T0 + 2000);
  applied(reg.record_check("web", "c1", fail_run(), T0 + 3000));
  CHECK(status_of(reg, "c1") == Status::critical);
  CHECK(reg.index() == idx + 1);

  // rise = 2: one pass is not enough; a failure in between starts counting again.
  applied(reg.record_check("web", "c1", pass(), T0 + 4000));
  applied(reg.record_check("web", "c1", fail_run(), T0 + 5000));
  applied(reg.record_check("web", "c1", pass(), T0 + 6000));
  CHECK(status_of(reg, "c1") == Status::critical);
  applied(reg.record_check("web", "c1", pass(), T0 + 7000));
  CHECK(status_of(reg, "c1") == Status::healthy);

  // Warning (HTTP 429) is served and follows each run.
  applied(reg.record_check("web", "c1", {Status::warning, "HTTP 429"}, T0 + 8000));
  CHECK(status_of(reg, "c1") == Status::warning);

  // A changed check restarts the runner; unchanged re-registration does not; removal stops.
  applied(reg.upsert(with_check("c1", 2, 3), T0 + 9000));
  CHECK(runner.calls.size() == 1);
  applied(reg.upsert(with_check("c1", 1, 1), T0 + 9000));
  CHECK(runner.calls.back() == "start web/c1");
  applied(reg.upsert(make("c1"), T0 + 9000));
  CHECK(runner.calls.back() == "stop web/c1");
  CHECK(status_of(reg, "c1") == Status::healthy);  // nothing judges it any more
  applied(reg.upsert(with_check("c2"), T0));
  applied(reg.remove("web", "c2", T0));
  CHECK(runner.calls.back() == "stop web/c2");
  CHECK(rejected(reg.record_check("web", "c2", pass(), T0)).kind == Rejection::Kind::not_found);
}

TEST_CASE("health: maintenance wins; healthy hands back to the checks", "[registry]") {
  Registry reg(ZoneConfig{});
  applied(reg.upsert(with_check("c1"), T0));
  applied(reg.record_check("web", "c1", pass(), T0 + 1));
  applied(reg.set_status("web", "c1", Status::maintenance, "deploy", T0 + 2));
  applied(reg.record_check("web", "c1", pass(), T0 + 3));
  CHECK(status_of(reg, "c1") == Status::maintenance);
  applied(reg.record_check("web", "c1", fail_run(), T0 + 4));
  CHECK(status_of(reg, "c1") == Status::maintenance);
  applied(reg.set_status("web", "c1", Status::healthy, "", T0 + 5));
  CHECK(status_of(reg, "c1") == Status::critical);  // what the checks said meanwhile
  CHECK(rejected(reg.set_status("web", "c1", Status::critical, "", T0)).kind ==
        Rejection::Kind::invalid);

  // Without check or TTL the operator sets the health, as before issue 4.
  applied(reg.upsert(make("p1"), T0));
  applied(reg.set_status("web", "p1", Status::critical, "", T0 + 1));
  CHECK(status_of(reg, "p1") == Status::critical);
  applied(reg.set_status("web", "p1", Status::maintenance, "", T0 + 2));
  applied(reg.set_status("web", "p1", Status::healthy, "", T0 + 3));
  CHECK(status_of(reg, "p1") == Status::healthy);
}

TEST_CASE("health: drain counts the zone TTL from when it was last served", "[registry]") {
  Registry reg(
      ZoneConfig{.domain = "svc.internal", .ttl = 30, .negative_ttl = 5, .ns_addresses = {}});
  applied(reg.upsert(make("p1"), T0));
  CHECK(applied(reg.set_status("web", "p1", Status::maintenance, "", T0)).drain_seconds == 30);
  // Ten seconds later it has been out for ten: twenty left, rounded up.
  CHECK(applied(reg.remove("web", "p1", T0 + 10'000)).drain_seconds == 20);
  applied(reg.upsert(make("p2"), T0));
  applied(reg.set_status("web", "p2", Status::critical, "", T0));
  CHECK(applied(reg.set_status("web", "p2", Status::maintenance, "", T0 + 29'500)).drain_seconds ==
        1);
  CHECK(applied(reg.remove("web", "p2", T0 + 31'000)).drain_seconds == 0);
  applied(reg.upsert(with_check("c1"), T0));  // never served
  CHECK(applied(reg.remove("web", "c1", T0)).drain_seconds == 0);
}

TEST_CASE("health: validate normalizes without applying; ids_from lists by source", "[registry]") {
  Registry reg(ZoneConfig{});
  auto v = reg.validate(make("P1"));
  REQUIRE(std::holds_alternative<Instance>(v));
  CHECK(std::get<Instance>(v).id == "p1");
  CHECK(reg.index() == 0);
  CHECK(reg.find("web") == nullptr);
  Instance bad = with_check("c1");
  bad.check->target = "example.com:80";
  CHECK(std::holds_alternative<Rejection>(reg.validate(bad)));
  CHECK(std::holds_alternative<Rejection>(reg.validate(with_ttl("t1", 500))));
  Instance dereg_only = make("d1");
  dereg_only.deregister_after_ms = 60000;
  CHECK(std::holds_alternative<Rejection>(reg.validate(dereg_only)));

  Instance from_file = make("f1");
  from_file.source = Source::file;
  applied(reg.upsert(from_file, T0));
  applied(reg.upsert(make("a1"), T0));
  using Ids = std::vector<std::pair<std::string, std::string>>;
  CHECK(reg.ids_from(Source::file) == Ids{{"web", "f1"}});
  CHECK(reg.ids_from(Source::api) == Ids{{"web", "a1"}});
  // Unchanged file entries keep their health state and index (idempotent reload).
  uint64_t idx = reg.index();
  applied(reg.upsert(from_file, T0 + 5));
  CHECK(reg.index() == idx);
  // The file taking over an API registration is a change.
  Instance takeover = make("a1");
  takeover.source = Source::file;
  applied(reg.upsert(takeover, T0 + 6));
  CHECK(reg.index() == idx + 1);
  CHECK(reg.find("web")->at("a1").source == Source::file);
}
