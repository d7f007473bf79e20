// test_dns_handoff.cpp -- how snapshots reach the DNS loops and leave them: a replaced snapshot
// is released by the next publish() on the publishing thread, never on a DNS thread, and the
// owner hears once per advance of the index every loop serves, not once per loop.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "dns/listen_socket.hpp"
#include "dns/loop.hpp"
#include "dns/server.hpp"
#include "test_dns_support.hpp"

using namespace srvd;
using namespace srvd::dns;
using namespace srvd::dns::test;
using namespace std::chrono_literals;

namespace {

bool eventually(const std::function<bool()>& cond) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(2ms)) {
    if (cond()) {
      return true;
    }
  }
  return cond();
}

/// Records the thread that frees it: a snapshot's static zones die with its last owner.
struct Witness {
  std::mutex mu;
  bool freed = false;
  std::thread::id by;
};

std::shared_ptr<const registry::Snapshot> witnessed(uint64_t index, Witness& w) {
  auto zones = std::shared_ptr<const registry::StaticZones>(
      new registry::StaticZones{}, [&w](const registry::StaticZones* z) {
        std::lock_guard lock(w.mu);
        w.freed = true;
        w.by = std::this_thread::get_id();
        delete z;
      });
  const auto& demo = *demo_snapshot();
  return std::make_shared<const registry::Snapshot>(index, demo.apex(), demo.table(),
                                                    std::move(zones));
}

uint64_t next_index(uint64_t& i) { return ++i; }

}  // namespace

TEST_CASE("handoff: a replaced snapshot is released by the next publish, not on the DNS thread",
          "[dns][handoff]") {
  uint16_t port = 0;
  std::string error;
  auto pairs = bind_socket_pairs(loopback(0), 1, port, error);
  REQUIRE(pairs.size() == 1);
  std::atomic<int> swaps{0};
  std::function<void()> on_applied = [&] { ++swaps; };
  uint64_t index = demo_snapshot()->index() + 100;

  // Declared before the loop: the snapshots it still holds die with it, after these.
  Witness first, second, third, fourth, fifth, sixth;
  DnsLoop loop(LoopOptions{}, witnessed(next_index(index), first), on_applied);
  REQUIRE(loop.open(pairs[0].udp.release(), pairs[0].tcp.release()) == 0);
  REQUIRE(loop.run());

  // The loop swaps the second in; the first is now held by the loop alone, and stays alive.
  auto s2 = witnessed(next_index(index), second);
  const uint64_t i2 = s2->index();
  loop.publish(std::move(s2));
  REQUIRE(eventually([&] { return loop.applied_index() == i2; }));
  REQUIRE(eventually([&] { return swaps.load() == 1; }));
  std::this_thread::sleep_for(20ms);
  {
    std::lock_guard lock(first.mu);
    CHECK_FALSE(first.freed);
  }

  // The next publish releases it, here.
  loop.publish(witnessed(next_index(index), third));
  {
    std::lock_guard lock(first.mu);
    CHECK(first.freed);
    CHECK(first.by == std::this_thread::get_id());
  }
  REQUIRE(eventually([&] { return loop.applied_index() == index; }));

  // Two publishes back to back: the loop may apply the first or skip it. Either way every
  // snapshot it no longer serves is released by a publish, here: a skipped one by the
  // publish that replaced it, a retired one by the publish after its swap.
  loop.publish(witnessed(next_index(index), fourth));
  loop.publish(witnessed(next_index(index), fifth));
  REQUIRE(eventually([&] { return loop.applied_index() == index; }));
  loop.publish(witnessed(next_index(index), sixth));
  {
    std::lock_guard lock2(second.mu);
    CHECK(second.freed);
    CHECK(second.by == std::this_thread::get_id());
    std::lock_guard lock3(third.mu);
    CHECK(third.freed);
    CHECK(third.by == std::this_thread::get_id());
    std::lock_guard lock4(fourth.mu);
    CHECK(fourth.freed);
    CHECK(fourth.by == std::this_thread::get_id());
  }
  loop.request_stop();
  loop.join();
}

TEST_CASE("handoff: the owner hears once per advance of the index every loop serves",
          "[dns][handoff]") {
  std::atomic<int> advances{0};
  std::string error;
  auto server = Server::start({loopback(0), 3}, demo_snapshot(), [&] { ++advances; }, error);
  REQUIRE(server);
  uint64_t index = demo_snapshot()->index();
  for (int round = 1; round <= 5; ++round) {
    const auto& demo = *demo_snapshot();
    server->publish(std::make_shared<const registry::Snapshot>(next_index(index), demo.apex(),
                                                               demo.table()));
    REQUIRE(eventually([&] { return server->applied_index() == index; }));
    REQUIRE(eventually([&] { return advances.load() == round; }));
    std::this_thread::sleep_for(20ms);  // the other loops' swaps add nothing
    CHECK(advances.load() == round);
  }
  server->stop();
}
