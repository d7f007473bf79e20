// test_store_etcd_store.cpp -- EtcdStore on a real etcd: replicas, leases, outages, leadership.
// leadership.
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "etcd_process.hpp"
#include "registry/registry.hpp"
#include "registry/stored_instance.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_store.hpp"

using namespace srvd;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPrefix = "/t";

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// One srvd replica as serve wires it: a control loop, its Registry, an EtcdStore. Tests run
/// the loops of several replicas in turn on the test's thread.
struct Replica {
  uv_loop_t loop{};
  registry::Registry reg{registry::ZoneConfig{}};
  std::unique_ptr<store::EtcdStore> store;
  bool leader = false;

  explicit Replica(const std::string& endpoint) {
    uv_loop_init(&loop);
    reg.set_ttl_by_store(true);
    reg.track_unsaved(true);
    std::string error;
    store = store::EtcdStore::start(
        &loop, reg,
        {.endpoints = {endpoint},
         .prefix = kPrefix,
         .election_ttl_s = 2,
         .request_timeout_ms = 1000},
        [this](bool l) { leader = l; }, error);
    REQUIRE(store);
  }
  ~Replica() {
    close();
    uv_run(&loop, UV_RUN_DEFAULT);  // delivers the close callbacks
    uv_loop_close(&loop);
  }
  void close() {
    if (store) {
      store->close();
    }
  }
  void run_once() { uv_run(&loop, UV_RUN_NOWAIT); }

  /// Saves what changed, as Durability does, and returns save's verdict.
  std::string save() {
    std::optional<std::string> result;
    store->save(reg.take_unsaved(), reg.index(), [&](std::string e) { result = std::move(e); });
    const auto deadline = Clock::now() + 5s;
    while (!result && Clock::now() < deadline) {
      run_once();
      std::this_thread::sleep_for(2ms);
    }
    return result.value_or("no answer");
  }

  void upsert(const std::string& id, uint16_t port, uint64_t ttl_ms = 0) {
    registry::Instance inst;
    inst.service = "web";
    inst.id = id;
    inst.address = *registry::parse_address("10.0.0.1");
    inst.port = port;
    inst.ttl_ms = ttl_ms;
    REQUIRE(std::holds_alternative<registry::Applied>(reg.upsert(inst, now_ms())));
  }

  /// The port of web/<id>, 0 if it is not there.
  uint16_t port(const std::string& id) const {
    const auto* svc = reg.find("web");
    return svc != nullptr && svc->contains(id) ? svc->at(id).port : 0;
  }
};

/// Runs every replica's loop until `done` holds or `timeout` passes.
bool eventually(std::initializer_list<Replica*> replicas, const std::function<bool()>& done,
                std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (auto* r : replicas) {
      r->run_once();
    }
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

/// Keeps the loops running for `d`, whatever happens.
void run_for(std::initializer_list<Replica*> replicas, std::chrono::milliseconds d) {
  eventually(
      replicas, [] { return false; }, d);
}

std::optional<store::EtcdKv> read_key(store::EtcdClient& client, const std::string& key) {
  const auto reply = client.range(key);
  if (!reply.ok() || !reply.body.contains("kvs")) {
    return std::nullopt;
  }
  return store::kv_from_json(reply.body["kvs"][0]);
}

#define SKIP_WITHOUT_ETCD()                               \
  if (!srvd::test::EtcdProcess::installed()) {            \
    WARN("/usr/bin/etcd is missing: etcd tests skipped"); \
    return;                                               \
  }

}  // namespace

TEST_CASE("etcd store: the first read loads what another program put", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  store::EtcdClient client({etcd.endpoint()}, 1000);
  // The seed article's ServiceInstance, as its Go registry writes it.
  REQUIRE(client
              .put("/t/web/a1", R"({"id":"a1","name":"web","address":"10.0.0.5","port":8080,)"
                                R"("metadata":{"version":"2"},"status":"UP"})")
              .ok());
  REQUIRE(client.put("/t/web", "not an instance key").ok());
  REQUIRE(client.put("/t/web/bad", "{").ok());

  Replica a(etcd.endpoint());
  // Loaded by start() itself, before the loop ever runs.
  const auto* svc = a.reg.find("web");
  REQUIRE(svc != nullptr);
  REQUIRE(svc->contains("a1"));
  CHECK(svc->at("a1").port == 8080);
  CHECK(svc->at("a1").meta.at("version") == "2");
  CHECK(svc->size() == 1);  // the bad ones are skipped
  CHECK(a.store->unavailable().empty());
}

TEST_CASE("etcd store: a save reaches etcd and the other replica's registry", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  store::EtcdClient client({etcd.endpoint()}, 1000);
  Replica a(etcd.endpoint());
  Replica b(etcd.endpoint());

  a.upsert("a1", 8080);
  REQUIRE(a.save() == "");
  const auto kv = read_key(client, "/t/web/a1");
  REQUIRE(kv);
  CHECK(kv->lease == 0);
  const auto doc = registry::from_stored_json(kv->value, "web", "a1");
  REQUIRE(std::holds_alternative<registry::Instance>(doc));
  CHECK(std::get<registry::Instance>(doc).port == 8080);
  CHECK(eventually({&a, &b}, [&] { return b.port("a1") == 8080; }));

  // The echo of a's own write changes nothing there.
  const uint64_t index = a.reg.index();
  run_for({&a, &b}, 200ms);
  CHECK(a.reg.index() == index);

  // Changes flow the other way too, and removals.
  b.upsert("a1", 9090);
  REQUIRE(b.save() == "");
  CHECK(eventually({&a, &b}, [&] { return a.port("a1") == 9090; }));
  REQUIRE(std::holds_alternative<registry::Applied>(a.reg.remove("web", "a1", now_ms())));
  REQUIRE(a.save() == "");
  CHECK_FALSE(read_key(client, "/t/web/a1"));
  CHECK(eventually({&a, &b}, [&] { return b.port("a1") == 0; }));

  // Another program's changes arrive by the watch as well.
  REQUIRE(client.put("/t/web/x9", R"({"address":"10.0.0.9","port":53})").ok());
  CHECK(eventually({&a, &b}, [&] { return a.port("x9") == 53 && b.port("x9") == 53; }));
}

TEST_CASE("etcd store: a TTL instance lives on heartbeats and goes with its lease", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  store::EtcdClient client({etcd.endpoint()}, 1000);
  Replica a(etcd.endpoint());
  Replica b(etcd.endpoint());

  a.upsert("t1", 80, 1000);
  REQUIRE(a.save() == "");
  const auto kv = read_key(client, "/t/web/t1");
  REQUIRE(kv);
  CHECK(kv->lease != 0);
  REQUIRE(eventually({&a, &b}, [&] { return b.port("t1") == 80; }));

  // Heartbeats, half to each replica, for three TTLs: b renews a lease a granted.
  for (int i = 0; i < 10; ++i) {
    Replica& r = i % 2 == 0 ? a : b;
    REQUIRE(std::holds_alternative<registry::Applied>(r.reg.heartbeat("web", "t1", now_ms())));
    auto batch_error = r.save();
    REQUIRE(batch_error == "");
    run_for({&a, &b}, 300ms);
  }
  CHECK(a.port("t1") == 80);
  CHECK(b.port("t1") == 80);
  const auto renewed = read_key(client, "/t/web/t1");
  REQUIRE(renewed);
  CHECK(renewed->lease == kv->lease);                // renewed, never replaced
  CHECK(renewed->mod_revision == kv->mod_revision);  // a heartbeat writes nothing

  // No more heartbeats: etcd expires the lease and both registries drop the instance.
  CHECK(eventually(
      {&a, &b}, [&] { return a.port("t1") == 0 && b.port("t1") == 0; }, 5s));
  CHECK_FALSE(read_key(client, "/t/web/t1"));
}

TEST_CASE("etcd store: an outage degrades the store, a restart recovers it", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  Replica a(etcd.endpoint());
  a.upsert("a1", 80);
  REQUIRE(a.save() == "");
  REQUIRE(eventually({&a}, [&] { return a.store->unavailable().empty(); }));

  etcd.stop();
  CHECK(eventually(
      {&a}, [&] { return !a.store->unavailable().empty(); }, 2s));
  INFO(a.store->unavailable());
  CHECK(a.store->unavailable().starts_with("etcd unreachable: "));
  // A write while down fails at once (the API answers 503), and is not kept.
  a.upsert("lost", 81);
  const auto started = Clock::now();
  const std::string error = a.save();
  CHECK(error.starts_with("etcd: "));
  CHECK(Clock::now() - started < 1500ms);

  etcd.start();
  REQUIRE(etcd.ready());
  store::EtcdClient client({etcd.endpoint()}, 1000);
  REQUIRE(client.put("/t/web/b1", R"({"address":"10.0.0.2","port":82})").ok());
  CHECK(eventually(
      {&a}, [&] { return a.store->unavailable().empty(); }, 5s));
  CHECK(eventually({&a}, [&] { return a.port("b1") == 82; }));
  CHECK(eventually({&a}, [&] { return a.port("lost") == 0; }));  // etcd never had it
  CHECK(a.port("a1") == 80);
  a.upsert("c1", 83);
  CHECK(a.save() == "");
}

TEST_CASE("etcd store: a hung etcd degrades the store within seconds", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  Replica a(etcd.endpoint());
  REQUIRE(eventually({&a}, [&] { return a.store->unavailable().empty(); }));
  etcd.pause();  // connections stay open; nothing answers
  CHECK(eventually(
      {&a}, [&] { return !a.store->unavailable().empty(); }, 4s));
  etcd.resume();
  CHECK(eventually(
      {&a}, [&] { return a.store->unavailable().empty(); }, 5s));

  // A save still in flight when the store closes is answered, not forgotten.
  etcd.pause();
  a.upsert("a1", 80);
  std::optional<std::string> answer;
  a.store->save(a.reg.take_unsaved(), a.reg.index(), [&](std::string e) { answer = e; });
  a.close();
  CHECK(answer == std::optional<std::string>("etcd store closed"));
  etcd.resume();
}

TEST_CASE("etcd store: one replica leads the checks, and hands over when it closes", "[etcd]") {
  SKIP_WITHOUT_ETCD();
  test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  Replica a(etcd.endpoint());
  Replica b(etcd.endpoint());
  REQUIRE(eventually({&a, &b}, [&] { return a.leader || b.leader; }));
  run_for({&a, &b}, 1500ms);  // the other keeps campaigning, and keeps losing
  CHECK(a.leader != b.leader);

  Replica& first = a.leader ? a : b;
  Replica& second = a.leader ? b : a;
  const auto closed = Clock::now();
  first.close();
  CHECK(eventually(
      {&second}, [&] { return second.leader; }, 3s));
  CHECK(Clock::now() - closed < 3s);

  // A closed store refuses saves, answering later on the loop, never from inside save().
  std::optional<std::string> answer;
  first.store->save({}, 0, [&](std::string e) { answer = e; });
  CHECK_FALSE(answer);
  first.run_once();
  CHECK(answer == std::optional<std::string>("etcd store closed"));

  // Without etcd the leader steps down before its lease could expire (ttl 2 s).
  etcd.stop();
  const auto stopped = Clock::now();
  CHECK(eventually(
      {&second}, [&] { return !second.leader; }, 3s));
  CHECK(Clock::now() - stopped < 2s);
}

TEST_CASE("etcd store: a bad configuration is refused before anything starts", "[etcd]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  registry::Registry reg{registry::ZoneConfig{}};
  const auto refused = [&](store::EtcdConfig config) {
    std::string error;
    auto s = store::EtcdStore::start(&loop, reg, std::move(config), nullptr, error);
    INFO(error);
    return s == nullptr && error.starts_with("etcd: ");
  };
  CHECK(refused({.endpoints = {}}));
  CHECK(refused({.endpoints = {"127.0.0.1:2379"}}));
  CHECK(refused({.endpoints = {"http://127.0.0.1:2379"}, .prefix = "/srvd/"}));
  CHECK(refused({.endpoints = {"http://127.0.0.1:2379"}, .prefix = ""}));
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);  // nothing was left open
}
