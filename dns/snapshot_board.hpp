// snapshot_board.hpp -- where the control loop leaves the latest snapshot for the DNS loops, and
// when a replaced one may be freed: reads take no lock and a publish wakes no thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "registry/snapshot.hpp"

namespace srvd::dns {

/// One publisher thread at a time (the caller serializes publish()) and a fixed number of
/// readers, each reading only on its own thread.
///
/// Why no wake-up: a DNS loop reads the board after its socket gave it a query, so a query
/// sent after publish() returned is answered from that snapshot or a newer one -- which is
/// all read-your-writes needs -- even if the loop was asleep during the publish. Waking every
/// loop per change cost each of them a context switch and the control loop an eventfd write
/// per loop and an acknowledgement back (issue 6 §7: ~1/3 of the control loop's CPU and most
/// of the DNS threads' at 1,000 changes/s).
///
/// Why freeing is safe: each reader announces the snapshot it uses in its hazard slot and
/// re-checks `latest_` afterwards (hazard pointers, Michael 2004); publish() frees only what
/// is neither the latest nor in any slot. So at most readers + 1 snapshots are alive, an idle
/// reader holds on to the one it last read, and every release happens on the publishing
/// thread, never on a DNS thread (which would pay the refcounts and frees of whatever only the
/// old snapshot held).
class SnapshotBoard {
 public:
  /// `initial` may be null (then readers get null until the first publish).
  SnapshotBoard(std::shared_ptr<const registry::Snapshot> initial, size_t readers);
  SnapshotBoard(const SnapshotBoard&) = delete;
  SnapshotBoard& operator=(const SnapshotBoard&) = delete;

  /// Reader `reader`'s view: the latest snapshot, kept alive until this reader reads again.
  /// Allocation-free; on the reader's thread only.
  const registry::Snapshot* read(size_t reader) noexcept {
    Slot& slot = slots_[reader];
    const registry::Snapshot* latest = latest_.load(std::memory_order_acquire);
    return latest == slot.seen ? latest : adopt(slot, latest);
  }
  /// Makes `snapshot` the latest (a null or repeated one changes nothing) and releases, here,
  /// every earlier one no reader holds.
  void publish(std::shared_ptr<const registry::Snapshot> snapshot);
  /// The latest snapshot's index (0 if none); any thread.
  uint64_t index() const { return index_.load(std::memory_order_acquire); }
  /// How many snapshots are alive because of the board (for tests).
  size_t kept() const { return kept_.size(); }

 private:
  /// A cache line per reader: the publisher reads `hazard` once per publish, the reader writes
  /// it only when the latest changed.
  struct alignas(64) Slot {
    std::atomic<const registry::Snapshot*> hazard{nullptr};
    const registry::Snapshot* seen = nullptr;  ///< the reader's own copy of `hazard`
  };
  const registry::Snapshot* adopt(Slot& slot, const registry::Snapshot* latest) noexcept;

  std::atomic<const registry::Snapshot*> latest_{nullptr};
  std::atomic<uint64_t> index_{0};
  std::unique_ptr<Slot[]> slots_;
  /// Publisher side: the latest last, before it those some reader may still use.
  std::vector<std::shared_ptr<const registry::Snapshot>> kept_;
  std::vector<const registry::Snapshot*> held_;  ///< publish()'s copy of the slots, one per reader
};

}  // namespace srvd::dns
