// test_registry_unsaved.cpp -- what the Registry hands a Store (take_unsaved), and what it
// takes back from one (restore after a restart, apply_stored from an etcd watch).
#include <catch2/catch.hpp>

#include "registry/registry.hpp"
#include "registry/stored_instance.hpp"

using namespace srvd::registry;

namespace {

constexpr int64_t T0 = 1'000'000;

Instance make(std::string id, uint16_t port = 80) {
  Instance i;
  i.service = "web";
  i.id = std::move(id);
  i.address = *parse_address("10.0.0.1");
  i.port = port;
  return i;
}

Registry tracking() {
  Registry reg(ZoneConfig{});
  reg.track_unsaved(true);
  return reg;
}

/// "service/id" of each change, "-" for a removal and "~" for a renewal only.
std::vector<std::string> keys(const std::vector<StoredChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) {
    out.push_back((c.instance ? "" : "-") + std::string(c.renew_only ? "~" : "") + c.service +
                  "/" + c.id);
  }
  return out;
}

struct StartStop : CheckRunner {
  std::vector<std::string> calls;
  void start(const std::string& s, const std::string& id, const CheckSpec&) override {
    calls.push_back("start " + s + "/" + id);
  }
  void stop(const std::string& s, const std::string& id) override {
    calls.push_back("stop " + s + "/" + id);
  }
};

}  // namespace

TEST_CASE("registry: nothing is tracked for a store unless asked") {
  Registry reg(ZoneConfig{});
  reg.upsert(make("a"), T0);
  CHECK(reg.take_unsaved().empty());
}

TEST_CASE("registry: every write is handed to the store once, with its state at take time") {
  Registry reg = tracking();
  reg.upsert(make("a"), T0);
  reg.upsert(make("b"), T0);
  reg.upsert(make("a", 81), T0 + 1);  // the same key twice: one change, the newest state
  auto changes = reg.take_unsaved();
  CHECK(keys(changes) == std::vector<std::string>{"web/a", "web/b"});
  CHECK(changes[0].instance->port == 81);
  CHECK(reg.take_unsaved().empty());  // taken means gone

  reg.set_status("web", "b", Status::maintenance, "deploy", T0 + 2);
  reg.remove("web", "a", T0 + 3);
  changes = reg.take_unsaved();
  CHECK(keys(changes) == std::vector<std::string>{"-web/a", "web/b"});
  CHECK(changes[1].instance->maintenance);
  CHECK(changes[1].instance->status_reason == "deploy");
}

TEST_CASE("registry: an unchanged write and a refused one give the store nothing") {
  Registry reg = tracking();
  reg.upsert(make("a"), T0);
  reg.take_unsaved();
  reg.upsert(make("a"), T0 + 1);
  reg.remove("web", "nope", T0 + 1);
  reg.set_status("web", "a", Status::healthy, "", T0 + 1);
  CHECK(reg.take_unsaved().empty());
}

TEST_CASE("registry: a heartbeat is a renewal, and a real change outweighs it") {
  Registry reg = tracking();
  Instance ttl = make("t");
  ttl.ttl_ms = 5000;
  reg.upsert(ttl, T0);
  reg.take_unsaved();
  reg.heartbeat("web", "t", T0 + 1000);
  CHECK(keys(reg.take_unsaved()) == std::vector<std::string>{"~web/t"});
  reg.upsert(ttl, T0 + 2000);  // re-registering a TTL instance renews it too
  CHECK(keys(reg.take_unsaved()) == std::vector<std::string>{"~web/t"});

  reg.heartbeat("web", "t", T0 + 3000);
  reg.set_status("web", "t", Status::maintenance, "", T0 + 3000);
  CHECK(keys(reg.take_unsaved()) == std::vector<std::string>{"web/t"});
}

TEST_CASE("registry: TTL expiry is saved; with TTLs kept by the store it does not happen") {
  Instance ttl = make("t");
  ttl.ttl_ms = 2000;
  Registry local = tracking();
  local.upsert(ttl, T0);
  local.take_unsaved();
  local.expire(T0 + 2000);
  auto changes = local.take_unsaved();
  REQUIRE(keys(changes) == std::vector<std::string>{"web/t"});
  CHECK(changes[0].instance->status == Status::critical);

  Registry etcd = tracking();
  etcd.set_ttl_by_store(true);
  etcd.upsert(ttl, T0);
  etcd.take_unsaved();
  CHECK(etcd.expire(T0 + 60'000) == 0);
  CHECK(etcd.find("web")->at("t").status == Status::healthy);
  CHECK_FALSE(etcd.next_deadline_ms().has_value());
}

TEST_CASE("registry: restore brings back state and index, with a fresh TTL window") {
  Instance ttl = make("t");
  ttl.ttl_ms = 2000;
  Instance kept = make("m");
  Registry before = tracking();
  before.upsert(ttl, T0);
  before.upsert(kept, T0);
  before.set_status("web", "m", Status::maintenance, "disk", T0);
  std::vector<Instance> saved;
  for (const auto& c : before.take_unsaved()) {
    saved.push_back(*c.instance);
  }

  Registry after(ZoneConfig{});
  const int64_t restart = T0 + 60'000;  // long after the TTL would have run out
  after.restore(saved, before.index(), restart);
  CHECK(after.index() == before.index());
  const auto& m = after.find("web")->at("m");
  CHECK(m.status == Status::maintenance);
  CHECK(m.status_reason == "disk");
  CHECK(after.find("web")->at("t").heartbeat_at_ms == restart);
  CHECK(after.expire(restart + 1999) == 0);
  CHECK(after.find("web")->at("t").status == Status::healthy);
  CHECK(after.expire(restart + 2000) == 1);

  // The snapshot serves what was restored: only the healthy one is answered.
  auto snap = after.publish();
  CHECK(snap->index() == after.index());
  auto w = after.upsert(make("w"), restart);
  CHECK(std::get<Applied>(w).index > before.index());  // indexes go on, never back
}

TEST_CASE("registry: restore by service moves new services in and merges known ones") {
  Registry reg = tracking();
  StartStop runner;
  reg.set_check_runner(&runner);
  reg.upsert(make("old"), T0);
  reg.upsert(make("same", 81), T0);
  reg.publish();
  const uint64_t before = reg.index();

  Registry::Services stored;
  Instance same = make("same", 82);
  same.ttl_ms = 2000;
  stored["web"]["same"] = same;
  Instance api = make("a1", 90);
  api.service = "api";
  api.check = CheckSpec{.kind = CheckSpec::Kind::tcp, .target = "127.0.0.1:90"};
  api.health = api.status = Status::critical;
  stored["api"]["a1"] = api;
  Instance api2 = api;
  api2.id = "a2";
  api2.check.reset();
  api2.health = api2.status = Status::healthy;
  stored["api"]["a2"] = api2;
  const int64_t restart = T0 + 60'000;
  reg.restore(std::move(stored), before + 5, restart);

  CHECK(reg.index() == before + 5);
  REQUIRE(reg.find("web") != nullptr);
  CHECK(reg.find("web")->size() == 2);  // "old" stays, "same" is replaced
  CHECK(reg.find("web")->at("same").port == 82);
  CHECK(reg.find("web")->at("same").heartbeat_at_ms == restart);
  CHECK(reg.find("web")->at("same").modify_index == before + 5);
  REQUIRE(reg.find("api") != nullptr);
  CHECK(reg.find("api")->size() == 2);
  CHECK(reg.find("api")->at("a1").status == Status::critical);
  CHECK(reg.find("api")->at("a2").create_index == before + 5);
  CHECK(runner.calls == std::vector<std::string>{"start api/a1"});
  // The TTL window of the replaced instance is queued: it expires on time, once.
  CHECK(reg.expire(restart + 1999) == 0);
  CHECK(reg.expire(restart + 2000) == 1);
  // Both services are published: the new one and the merged one.
  auto snap = reg.publish();
  REQUIRE(snap->find("api") != nullptr);
  CHECK(snap->find("api")->find("a2") != nullptr);
  CHECK(snap->find("api")->find("a1") == nullptr);  // critical: not served
  REQUIRE(snap->find("web") != nullptr);
  CHECK(snap->find("web")->find("old") != nullptr);
  CHECK(snap->find("web")->find("same") == nullptr);  // its TTL ran out above
}

TEST_CASE("registry: changes from the store apply as given, and echoes change nothing") {
  Registry reg = tracking();
  StartStop runner;
  reg.set_check_runner(&runner);
  Instance remote = make("r", 9000);
  remote.meta["zone"] = "b";
  remote.check = CheckSpec{.kind = CheckSpec::Kind::tcp, .target = "127.0.0.1:9000"};
  remote.health = remote.status = Status::warning;

  const uint64_t start = reg.index();
  CHECK(reg.apply_stored(StoredChange{"web", "r", remote, false}, T0));
  CHECK(reg.index() == start + 1);
  const auto& got = reg.find("web")->at("r");
  CHECK(got.port == 9000);
  CHECK(got.status == Status::warning);
  CHECK(runner.calls == std::vector<std::string>{"start web/r"});
  CHECK(reg.take_unsaved().empty());  // it came from the store: nothing to write back

  CHECK_FALSE(reg.apply_stored(StoredChange{"web", "r", remote, false}, T0 + 1));  // echo
  CHECK(reg.index() == start + 1);

  CHECK(reg.apply_stored(StoredChange{"web", "r", std::nullopt, false}, T0 + 2));
  CHECK(reg.find("web") == nullptr);
  CHECK(runner.calls.back() == "stop web/r");
  CHECK_FALSE(reg.apply_stored(StoredChange{"web", "r", std::nullopt, false}, T0 + 3));
}

TEST_CASE("registry: a new check runner takes over the checks from the old one") {
  Registry reg(ZoneConfig{});
  StartStop leader;
  Instance c = make("c");
  c.check = CheckSpec{.kind = CheckSpec::Kind::tcp, .target = "127.0.0.1:9"};
  reg.upsert(c, T0);
  reg.set_check_runner(&leader);
  CHECK(leader.calls == std::vector<std::string>{"start web/c"});
  reg.set_check_runner(nullptr);  // this replica lost the check leadership
  CHECK(leader.calls == std::vector<std::string>{"start web/c", "stop web/c"});
}

TEST_CASE("registry: roll_back returns every change not yet durable to the durable state") {
  Registry reg = tracking();
  reg.upsert(make("a"), T0);
  reg.upsert(make("gone"), T0);
  reg.take_unsaved();
  reg.saved();  // durable: a and gone, both healthy

  reg.set_status("web", "a", Status::maintenance, "", T0 + 1);
  reg.upsert(make("new"), T0 + 1);
  reg.take_unsaved();           // with the store...
  reg.upsert(make("a", 81), T0 + 2);  // ...and more changes on top meanwhile
  reg.remove("web", "gone", T0 + 2);
  const uint64_t before = reg.index();

  CHECK(reg.roll_back() == 3);
  const auto& web = *reg.find("web");
  CHECK(web.size() == 2);
  CHECK(web.at("a").port == 80);
  CHECK(web.at("a").status == Status::healthy);
  CHECK(web.contains("gone"));
  CHECK(reg.index() > before);  // a change users see, published like any other
  CHECK(reg.take_unsaved().empty());
}

TEST_CASE("registry: after a durable batch, roll_back returns to it, not further") {
  Registry reg = tracking();
  reg.upsert(make("a"), T0);
  reg.take_unsaved();
  reg.upsert(make("a", 81), T0 + 1);  // changed again while the first batch is saved
  reg.saved();
  reg.take_unsaved();
  CHECK(reg.roll_back() == 1);
  CHECK(reg.find("web")->at("a").port == 80);  // the batch that was saved, not "absent"
}

TEST_CASE("registry: saved() settles every in-flight key, whatever else changed around them") {
  // saved() walks undo_ beside the batch: keys changed since the take (inside and between
  // the batch's keys) must not make it miss or confuse one.
  Registry reg = tracking();
  for (const char* id : {"b", "d", "f"}) {
    reg.upsert(make(id), T0);
  }
  reg.take_unsaved();
  reg.saved();                        // durable: b, d, f on port 80
  for (const char* id : {"b", "d", "f"}) {
    reg.upsert(make(id, 81), T0 + 1);
  }
  reg.take_unsaved();                 // with the store: b, d, f on 81
  reg.upsert(make("a"), T0 + 2);      // new, before the batch's keys
  reg.upsert(make("d", 82), T0 + 2);  // in the batch, changed again
  reg.upsert(make("e"), T0 + 2);      // new, between them
  reg.upsert(make("g"), T0 + 2);      // new, after them
  reg.saved();
  reg.take_unsaved();
  CHECK(reg.roll_back() == 4);        // a, d, e, g: only what the second batch would have held
  const auto& web = *reg.find("web");
  CHECK(web.size() == 3);
  CHECK(web.at("b").port == 81);
  CHECK(web.at("d").port == 81);      // the batch that was saved, not 80 or 82
  CHECK(web.at("f").port == 81);
}

TEST_CASE("registry: a second take before the first batch settles joins it in flight, in order") {
  // in_flight_ is a vector in key order that saved() walks beside undo_: a take merged into
  // it out of order, or twice with one key, would settle the wrong durable states.
  Registry reg = tracking();
  reg.upsert(make("b"), T0);
  reg.upsert(make("d"), T0);
  reg.take_unsaved();
  reg.saved();                        // durable: b, d on port 80
  reg.upsert(make("b", 81), T0 + 1);
  reg.upsert(make("d", 81), T0 + 1);
  reg.take_unsaved();                 // b, d on 81 with the store
  reg.upsert(make("a"), T0 + 2);
  reg.upsert(make("d", 82), T0 + 2);
  reg.upsert(make("e"), T0 + 2);
  reg.take_unsaved();                 // a, d on 82, e: joined to the same batch
  reg.upsert(make("d", 83), T0 + 3);  // changed again since both takes
  reg.saved();                        // all of it durable: a, b 81, d 82, e
  CHECK(reg.roll_back() == 1);        // d's latest change only
  const auto& web = *reg.find("web");
  CHECK(web.size() == 4);
  CHECK(web.at("b").port == 81);
  CHECK(web.at("d").port == 82);
  CHECK(web.contains("a"));
  CHECK(web.contains("e"));
}
