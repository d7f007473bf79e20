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

/// DNS loops that apply each snapshot at once: records the indexes published.
struct InstantDns : dns::Server {
  std::vector<uint64_t> published;
  uint16_t port() const override { return 0; }
  void publish(std::shared_ptr<const registry::Snapshot> s) override {
    published.push_back(s->index());
  }
  uint64_t applied_index() const override { return published.empty() ? 0 : published.back(); }
  void stop() override {}
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

  explicit Fixture(uint64_t max_hold_ms = 3'600'000) {
    uv_loop_init(&loop);
    publisher = std::make_unique<Publisher>(&loop, registry, max_hold_ms);
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

TEST_CASE("durability: changes made during a save are published with the next batch") {
  InstantDns dns;
  Fixture f;  // holds without a time limit: a slow machine cannot end the hold early
  f.publisher->attach(&dns);
  f.turn();  // the initial snapshot
  REQUIRE(dns.published.size() == 1);

  f.write("a");
  f.turn();
  REQUIRE(f.store.batches.size() == 1);
  REQUIRE(dns.published.size() == 2);  // DNS gets the batch while the store saves it
  CHECK(dns.published.back() == f.registry.index());

  // Turns during the save: their changes wait (one publish per batch, not per turn).
  f.write("b");
  f.turn();
  f.write("c");
  f.turn();
  CHECK(dns.published.size() == 2);

  f.store.finish();
  CHECK(f.answered == std::vector<std::string>{"a"});
  f.turn();
  REQUIRE(f.store.batches.size() == 2);
  CHECK(dns.published.size() == 3);  // b and c in one snapshot, handed over with their batch
  CHECK(dns.published.back() == f.registry.index());
  f.store.finish();
  CHECK(f.answered == std::vector<std::string>{"a", "b", "c"});

  // With no batch in flight a change is published in its own turn.
  f.turn();
  f.registry.upsert(make("d"), 1000);
  f.turn();  // the batch of d: published as it is handed over
  CHECK(dns.published.back() == f.registry.index());
  f.store.finish();
  f.turn();
}

TEST_CASE("durability: a held change is published after the hold's limit even if the save lasts") {
  InstantDns dns;
  Fixture f(20);
  f.publisher->attach(&dns);
  f.write("a");
  f.turn();
  REQUIRE(f.store.pending.size() == 1);
  const size_t before = dns.published.size();

  // Not a write: e.g. a health change or another replica's write, which no batch answers.
  f.registry.upsert(make("b"), 1000);
  f.turn();
  CHECK(dns.published.size() == before);
  const auto start = std::chrono::steady_clock::now();
  while (dns.published.size() == before &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    f.turn();  // the hold timer fires at the start of a turn whose prepare then publishes
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(dns.published.size() == before + 1);
  CHECK(dns.published.back() == f.registry.index());
  CHECK(f.store.pending.size() == 1);  // the save is still going on
  f.store.finish();
  f.turn();
}

TEST_CASE("durability: a burst during a save is one commit and one publish, each write answered") {
  InstantDns dns;
  Fixture f;
  f.publisher->attach(&dns);
  f.turn();  // the initial snapshot
  f.write("a");
  f.turn();
  REQUIRE(f.store.batches.size() == 1);
  const size_t published = dns.published.size();
  for (int i = 0; i < 50; ++i) {
    f.write("b" + std::to_string(i));
    f.turn();  // many loop turns while "a" is with the store
  }
  CHECK(dns.published.size() == published);  // held: nothing is published per turn
  f.store.finish();
  f.turn();
  REQUIRE(f.store.batches.size() == 2);
  CHECK(f.store.batches[1].size() == 50);            // the whole burst: one commit
  CHECK(dns.published.size() == published + 1);      // and one publish, as it is handed over
  CHECK(dns.published.back() == f.registry.index());
  f.store.finish();
  f.turn();
  REQUIRE(f.answered.size() == 51);
  CHECK(f.answered[0] == "a");
  for (int i = 0; i < 50; ++i) {
    CHECK(f.answered[static_cast<size_t>(i) + 1] == "b" + std::to_string(i));
  }
}

TEST_CASE("durability: a refused batch of many writes answers every one 503 and keeps none") {
  InstantDns dns;
  Fixture f;
  f.publisher->attach(&dns);
  f.write("kept");
  f.turn();
  f.store.finish();
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
  CHECK(dns.published.back() == f.registry.index());
}
