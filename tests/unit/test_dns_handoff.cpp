// test_dns_handoff.cpp -- how snapshots reach the DNS loops and leave them (SnapshotBoard): a
// read after publish() returned sees that snapshot, a snapshot a reader still uses stays alive,
// and the others are released by a publish on the publishing thread, never on a reader's.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "dns/snapshot_board.hpp"
#include "test_dns_support.hpp"

using namespace srvd;
using namespace srvd::dns;
using namespace srvd::dns::test;

namespace {

/// Records the thread that frees it: a snapshot's static zones die with its last owner.
struct Witness {
  std::mutex mu;
  bool freed = false;
  std::thread::id by;

  bool freed_by(std::thread::id id) {
    std::lock_guard lock(mu);
    return freed && by == id;
  }
  bool alive() {
    std::lock_guard lock(mu);
    return !freed;
  }
};

std::shared_ptr<const registry::Snapshot> witnessed(uint64_t index, Witness& w) {
  auto zones = std::shared_ptr<const registry::StaticZones>(new registry::StaticZones{},
                                                            [&w](const registry::StaticZones* z) {
                                                              std::lock_guard lock(w.mu);
                                                              w.freed = true;
                                                              w.by = std::this_thread::get_id();
                                                              delete z;
                                                            });
  const auto& demo = *demo_snapshot();
  return std::make_shared<const registry::Snapshot>(index, demo.apex(), demo.table(),
                                                    std::move(zones));
}

/// Reads as reader `r` on a thread of its own, as a DNS loop would; returns the index read.
uint64_t read_on_thread(SnapshotBoard& board, size_t r) {
  uint64_t index = 0;
  std::thread t([&] { index = board.read(r)->index(); });
  t.join();
  return index;
}

}  // namespace

TEST_CASE("handoff: a snapshot lives while a reader holds it and is released by a publish",
          "[dns][handoff]") {
  const auto me = std::this_thread::get_id();
  Witness first, second, third, fourth;  // declared before the board: they outlive it
  SnapshotBoard board(witnessed(10, first), 2);
  CHECK(board.index() == 10);
  CHECK(board.kept() == 1);

  // Both readers still hold the first (the initial one): it stays.
  board.publish(witnessed(11, second));
  CHECK(board.index() == 11);
  CHECK(first.alive());
  CHECK(board.kept() == 2);

  // Reader 0 moves on; reader 1 has not read since: both earlier snapshots stay.
  CHECK(read_on_thread(board, 0) == 11);
  board.publish(witnessed(12, third));
  CHECK(first.alive());
  CHECK(second.alive());
  CHECK(board.kept() == 3);

  // Once both read the third, the next publish releases the first two, here.
  CHECK(read_on_thread(board, 1) == 12);
  CHECK(read_on_thread(board, 0) == 12);
  auto latest = witnessed(13, fourth);
  board.publish(latest);
  CHECK(first.freed_by(me));
  CHECK(second.freed_by(me));
  CHECK(third.alive());  // both readers still hold it
  CHECK(board.kept() == 2);

  // Publishing the latest again, or nothing, changes nothing.
  board.publish(latest);
  board.publish(nullptr);
  CHECK(board.index() == 13);
  CHECK(board.kept() == 2);
}

TEST_CASE("handoff: a snapshot no reader ever read is released by the next publish",
          "[dns][handoff]") {
  const auto me = std::this_thread::get_id();
  Witness first, skipped, third, fourth;
  SnapshotBoard board(witnessed(1, first), 3);
  board.publish(witnessed(2, skipped));
  board.publish(witnessed(3, third));
  CHECK(skipped.freed_by(me));
  CHECK(first.alive());  // every reader still holds it
  CHECK(board.kept() == 2);
  for (size_t r = 0; r < 3; ++r) {
    CHECK(read_on_thread(board, r) == 3);
  }
  board.publish(witnessed(4, fourth));
  CHECK(first.freed_by(me));
  CHECK(third.alive());
  CHECK(board.kept() == 2);
}

TEST_CASE("handoff: readers racing publishes see every publish that returned, and nothing freed",
          "[dns][handoff]") {
  const auto& demo = *demo_snapshot();
  SnapshotBoard board(std::make_shared<const registry::Snapshot>(1, demo.apex(), demo.table()), 2);
  std::atomic<uint64_t> returned{1};  // the index of the last publish() that returned
  std::atomic<bool> done{false};
  std::atomic<int> stale{0}, backwards{0};
  auto reader = [&](size_t r) {
    uint64_t last = 0;
    while (!done.load()) {
      const uint64_t at_least = returned.load();
      const registry::Snapshot* s = board.read(r);
      // Touch what the snapshot owns: under ASan a freed one would be reported here.
      const uint64_t index = s->index() + (s->apex().ttl == demo.apex().ttl ? 0 : 1'000'000);
      stale += index < at_least ? 1 : 0;
      backwards += index < last ? 1 : 0;
      last = index;
    }
  };
  std::thread r0(reader, 0), r1(reader, 1);
  size_t most_kept = 0;
  for (uint64_t i = 2; i <= 20000; ++i) {
    board.publish(std::make_shared<const registry::Snapshot>(i, demo.apex(), demo.table()));
    returned.store(i);
    most_kept = std::max(most_kept, board.kept());
  }
  done.store(true);
  r0.join();
  r1.join();
  CHECK(stale.load() == 0);
  CHECK(backwards.load() == 0);
  CHECK(board.index() == 20000);
  CHECK(most_kept <= 3);  // the latest and at most one per reader
}
