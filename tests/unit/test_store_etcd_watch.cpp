// test_store_etcd_watch.cpp -- the watch thread: resuming without gaps, resyncing after compaction.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "etcd_process.hpp"
#include "store/etcd_availability.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_keys.hpp"
#include "store/etcd_lease_book.hpp"
#include "store/etcd_watch.hpp"

using namespace srvd::store;
using namespace std::chrono_literals;

namespace {

/// What the watch thread handed on, gathered under a lock for the test's thread to wait on.
struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int64_t, std::vector<EtcdKv>>> snapshots;
  std::vector<bool> new_history;
  std::vector<EtcdEvent> events;

  WatchOutput output() {
    return {.snapshot =
                [this](FullRead read, bool new_hist) {
                  std::lock_guard lock(mu);
                  snapshots.emplace_back(read.revision, std::move(read.kvs));
                  new_history.push_back(new_hist);
                  cv.notify_all();
                },
            .events =
                [this](std::vector<EtcdEvent> e) {
                  std::lock_guard lock(mu);
                  events.insert(events.end(), e.begin(), e.end());
                  cv.notify_all();
                }};
  }
  /// Polls too: availability changes do not notify the condition variable.
  template <class Pred>
  bool wait(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::unique_lock lock(mu);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      cv.wait_for(lock, 10ms);
    }
    return true;
  }
};

int64_t put(EtcdClient& client, const std::string& key, const std::string& value) {
  return json_int(client.put(key, value).body["header"], "revision");
}

}  // namespace

TEST_CASE("etcd watch: resumes after a restart without missing or repeating", "[etcd]") {
  if (!srvd::test::EtcdProcess::installed()) {
    WARN("/usr/bin/etcd is missing: skipped");
    return;
  }
  srvd::test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  EtcdClient client({etcd.endpoint()}, 1000);
  const int64_t first = put(client, "/w/s/a", "1");
  EtcdAvailability availability(etcd.endpoint());
  LeaseBook leases;
  Collected got;
  EtcdWatch watch({etcd.endpoint()}, 1000, "/w", availability, leases, got.output());
  watch.start(first);  // as after a read at `first - 1`
  REQUIRE(got.wait([&] { return got.events.size() == 1; }));
  CHECK(got.events[0].kv.value == "1");
  REQUIRE(got.wait([&] { return availability.message().empty(); }));

  etcd.stop();
  REQUIRE(got.wait([&] { return !availability.message().empty(); }));
  etcd.start();
  REQUIRE(etcd.ready());
  put(client, "/w/s/b", "2");
  put(client, "/w0", "outside the prefix");
  client.delete_range("/w/s/a");
  REQUIRE(got.wait([&] { return got.events.size() == 3; }));
  CHECK(got.events[1].kv.key == "/w/s/b");
  CHECK(got.events[2].deleted);
  CHECK(got.events[2].kv.key == "/w/s/a");
  CHECK(got.snapshots.empty());  // resumed, not read again
  REQUIRE(got.wait([&] { return availability.message().empty(); }));
}

TEST_CASE("etcd watch: a compacted start revision means a full read, then the watch", "[etcd]") {
  if (!srvd::test::EtcdProcess::installed()) {
    WARN("/usr/bin/etcd is missing: skipped");
    return;
  }
  srvd::test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  EtcdClient client({etcd.endpoint()}, 1000);
  put(client, "/w/s/a", "1");
  put(client, "/w/s/b", "2");
  client.delete_range("/w/s/a");
  const int64_t last = put(client, "/w/s/c", "3");
  REQUIRE(client.call("/v3/kv/compaction", {{"revision", std::to_string(last)}}).ok());

  EtcdAvailability availability(etcd.endpoint());
  LeaseBook leases;
  Collected got;
  EtcdWatch watch({etcd.endpoint()}, 1000, "/w", availability, leases, got.output());
  watch.start(2);  // long gone
  REQUIRE(got.wait([&] { return got.snapshots.size() == 1; }));
  CHECK(got.snapshots[0].first == last);
  REQUIRE(got.snapshots[0].second.size() == 2);
  CHECK(got.snapshots[0].second[0].key == "/w/s/b");
  CHECK(got.snapshots[0].second[1].key == "/w/s/c");
  put(client, "/w/s/d", "4");
  REQUIRE(got.wait([&] { return got.events.size() == 1; }));
  CHECK(got.events[0].kv.key == "/w/s/d");

  // A failed write asks for a full read as well.
  availability.diverged("test");
  REQUIRE(got.wait([&] { return got.snapshots.size() == 2; }));
  CHECK(got.snapshots[1].second.size() == 3);
  REQUIRE(got.wait([&] { return availability.message().empty(); }));
}

TEST_CASE("etcd watch: etcd's data replaced means a full read in the new history", "[etcd]") {
  if (!srvd::test::EtcdProcess::installed()) {
    WARN("/usr/bin/etcd is missing: skipped");
    return;
  }
  srvd::test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  EtcdClient client({etcd.endpoint()}, 1000);
  for (int i = 0; i < 5; ++i) {
    put(client, "/w/s/old", std::to_string(i));
  }
  const auto read = read_range_reply(client.range("/w/", "/w0"));
  REQUIRE(read);
  EtcdAvailability availability(etcd.endpoint());
  LeaseBook leases;
  Collected got;
  EtcdWatch watch({etcd.endpoint()}, 1000, "/w", availability, leases, got.output());
  watch.start(read->revision + 1);
  REQUIRE(got.wait([&] { return availability.message().empty(); }));

  etcd.wipe();  // revisions start again at 1: our next one would come much later
  REQUIRE(etcd.ready());
  put(client, "/w/s/new", "1");
  REQUIRE(got.wait([&] { return got.snapshots.size() == 1; }));
  CHECK(got.new_history[0]);
  // The read may come before or after the put; either way nothing old, and the new key
  // arrives in it or after it.
  for (const auto& kv : got.snapshots[0].second) {
    CHECK(kv.key == "/w/s/new");
  }
  CHECK(got.wait([&] {
    return got.snapshots[0].second.size() == 1 ||
           (got.events.size() == 1 && got.events[0].kv.key == "/w/s/new");
  }));
}
