// test_srvd_durability.cpp -- group commit: one batch with the store at a time, everything
// that happens meanwhile in the next one, and a write answered only once its batch is saved.
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "dns/server.hpp"
#include "srvd/durability.hpp"
#include "srvd/publisher.hpp"

using namespace srvd;

namespace {

/// A store that keeps each batch until the test finishes it.
struct HeldStore : registry::Store {
  std::vector<std::vector<registry::StoredChange>> batches;
  std::vector<std::function<void(std::string)>> pending;
  void save(std::vector<registry::StoredChange> batch, uint64_t,
            std::function<void(std::string)> done) override {
    batches.push_back(std::move(batch));
    pending.push_back(std::move(done));
  }
  void finish(const std::string& error = {}) {
    REQUIRE(pending.size() == 1);
    auto done = std::move(pending.back());
    pending.clear();
    done(error);
  }
  void close() override {}
};

registry::Instance make(std::string id) {
  registry::Instance i;
  i.service = "web";
  i.id = std::move(id);
  i.address = *registry::parse_address("10.0.0.1");
  i.port = 80;
  return i;
}

struct Fixture {
  uv_loop_t loop{};
  registry::Registry registry{registry::ZoneConfig{}};
  HeldStore store;
  std::unique_ptr<Publisher> publisher;  // no DNS attached: everything counts as visible
  std::unique_ptr<Durability> durability;
  std::vector<std::string> answered;

  Fixture() {
    uv_loop_init(&loop);
    publisher = std::make_unique<Publisher>(&loop, registry);
    durability = std::make_unique<Durability>(&loop, registry, store, *publisher);
  }
  ~Fixture() {
    durability->close();
    publisher->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  /// A write as the API makes it: applied, then held until durable.
  void write(const std::string& id) {
    auto r = registry.upsert(make(id), 1000);
    durability->after_write(std::get<registry::Applied>(r).instance.modify_index,
                            [this, id](std::string error) {
                              answered.push_back(id + (error.empty() ? "" : ": " + error));
                            });
  }
  void turn() { uv_run(&loop, UV_RUN_NOWAIT); }
};

}  // namespace

TEST_CASE("durability: writes during a save go to the store together in the next batch") {
  Fixture f;
  f.write("a");
  f.turn();
  REQUIRE(f.store.batches.size() == 1);
  CHECK(f.answered.empty());  // not durable yet

  f.write("b");
  f.write("c");
  f.turn();
  CHECK(f.store.batches.size() == 1);  // one batch with the store at a time

  f.store.finish();
  CHECK(f.answered == std::vector<std::string>{"a"});
  f.turn();
  REQUIRE(f.store.batches.size() == 2);
  CHECK(f.store.batches[1].size() == 2);  // b and c: one commit for both
  f.store.finish();
  CHECK(f.answered == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("durability: a failed save undoes its writes and those made since, and refuses them") {
  Fixture f;
  f.write("kept");
  f.turn();
  f.store.finish();
  f.write("a");
  f.turn();
  f.write("b");  // built while "a" is with the store
  f.store.finish("disk full");
  CHECK(f.answered == std::vector<std::string>{"kept", "a: disk full", "b: disk full"});
  CHECK(f.registry.find("web")->size() == 1);  // only what the store has
  CHECK(f.registry.find("web")->contains("kept"));
  f.turn();
  CHECK(f.store.batches.size() == 2);  // nothing left to save: the refused writes are gone

  f.write("c");  // the next batch is tried afresh
  f.turn();
  f.store.finish();
  CHECK(f.answered.back() == "c");
}

TEST_CASE("durability: a write that changed nothing is answered without a save") {
  Fixture f;
  f.write("a");
  f.turn();
  f.store.finish();
  f.write("a");  // identical: no change for the store
  f.turn();
  CHECK(f.store.batches.size() == 1);
  CHECK(f.answered == std::vector<std::string>{"a", "a"});
}

namespace {

/// DNS loops that serve a snapshot only when the test says so.
struct FakeDns : dns::Server {
  std::vector<uint64_t> published;  ///< the index of each snapshot handed over
  uint64_t applied = 0;
  uint16_t port() const override { return 0; }
  void publish(std::shared_ptr<const registry::Snapshot> s) override {
    published.push_back(s->index());
  }
  uint64_t applied_index() const override { return applied; }
  void stop() override {}
};

}  // namespace

TEST_CASE("durability: a burst during a save is one commit and one publish, each write answered") {
  Fixture f;
  FakeDns dns;
  f.publisher->attach(&dns);
  f.write("a");
  f.turn();
  REQUIRE(f.store.batches.size() == 1);
  for (int i = 0; i < 50; ++i) {
    f.write("b" + std::to_string(i));
    f.turn();  // many loop turns while "a" is with the store
  }
  CHECK(dns.published.empty());  // nobody can be answered before the save: nothing to publish
  f.store.finish();
  CHECK(f.answered.empty());  // durable, but DNS does not serve it yet
  f.turn();
  REQUIRE(f.store.batches.size() == 2);
  CHECK(f.store.batches[1].size() == 50);  // the whole burst: one commit
  REQUIRE(dns.published.size() == 1);      // "a" waits for DNS: published once, with the burst
  CHECK(dns.published[0] == f.registry.index());
  dns.applied = dns.published[0];
  f.publisher->notify_applied();
  f.turn();
  CHECK(f.answered == std::vector<std::string>{"a"});
  f.store.finish();
  f.turn();
  CHECK(dns.published.size() == 1);  // that snapshot already serves the burst
  REQUIRE(f.answered.size() == 51);
  for (int i = 0; i < 50; ++i) {
    CHECK(f.answered[static_cast<size_t>(i) + 1] == "b" + std::to_string(i));
  }
}

TEST_CASE("durability: a refused batch of many writes answers every one 503 and keeps none") {
  Fixture f;
  FakeDns dns;
  f.publisher->attach(&dns);
  f.write("kept");
  f.turn();
  f.store.finish();
  f.turn();
  dns.applied = dns.published.back();
  f.publisher->notify_applied();
  f.turn();
  REQUIRE(f.answered == std::vector<std::string>{"kept"});
  for (int i = 0; i < 40; ++i) {
    f.write("x" + std::to_string(i));
  }
  f.turn();
  REQUIRE(f.store.batches.back().size() == 40);
  f.store.finish("disk full");
  REQUIRE(f.answered.size() == 41);
  for (int i = 0; i < 40; ++i) {
    CHECK(f.answered[static_cast<size_t>(i) + 1] == "x" + std::to_string(i) + ": disk full");
  }
  CHECK(f.registry.find("web")->size() == 1);
  f.turn();
  // The roll-back is published at once: DNS stops serving what the store refused.
  REQUIRE(dns.published.size() == 2);
  CHECK(dns.published.back() == f.registry.index());
}

TEST_CASE("durability: a change nobody waits for reaches DNS within kMaxDeferMs of a stuck save") {
  Fixture f;
  FakeDns dns;
  f.publisher->attach(&dns);
  f.write("a");
  f.turn();  // "a" is with the store, which never answers (etcd unreachable, say)
  const uint64_t start = uv_now(&f.loop);
  // A change no write waits for, as a health check or TTL expiry makes it.
  REQUIRE(std::holds_alternative<registry::Applied>(f.registry.upsert(make("b"), 1000)));
  f.turn();
  if (uv_now(&f.loop) - start < Publisher::kMaxDeferMs) {  // a busy machine may take longer
    CHECK(dns.published.empty());                          // deferred for now...
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(Publisher::kMaxDeferMs + 5));
  f.turn();  // the defer timer fires, and the same turn's prepare publishes
  REQUIRE(dns.published.size() == 1);
  CHECK(dns.published[0] == f.registry.index());
  f.store.finish();
}
