// snapshot_board.cpp -- the hazard-slot handshake between the DNS loops and the publisher.
#include "dns/snapshot_board.hpp"

#include <algorithm>
#include <utility>

namespace srvd::dns {

SnapshotBoard::SnapshotBoard(std::shared_ptr<const registry::Snapshot> initial, size_t readers)
    : slots_(std::make_unique<Slot[]>(readers)), held_(readers, nullptr) {
  if (initial) {
    for (size_t i = 0; i < held_.size(); ++i) {
      slots_[i].hazard.store(initial.get(), std::memory_order_relaxed);
      slots_[i].seen = initial.get();
    }
    index_.store(initial->index(), std::memory_order_relaxed);
    latest_.store(initial.get(), std::memory_order_release);
    kept_.push_back(std::move(initial));
  }
}

const registry::Snapshot* SnapshotBoard::adopt(Slot& slot,
                                               const registry::Snapshot* latest) noexcept {
  // seq_cst on both sides: if the re-read still sees `latest`, publish() had not yet replaced
  // it when the slot was written, so its scan of the slots (after the replacement) sees it.
  for (;;) {
    slot.hazard.store(latest, std::memory_order_seq_cst);
    const registry::Snapshot* again = latest_.load(std::memory_order_seq_cst);
    if (again == latest) {
      break;
    }
    latest = again;
  }
  slot.seen = latest;
  return latest;
}

void SnapshotBoard::publish(std::shared_ptr<const registry::Snapshot> snapshot) {
  if (!snapshot || (!kept_.empty() && kept_.back() == snapshot)) {
    return;
  }
  const uint64_t index = snapshot->index();
  kept_.push_back(std::move(snapshot));
  latest_.store(kept_.back().get(), std::memory_order_seq_cst);
  index_.store(index, std::memory_order_release);
  // Each slot read once: a reader moving on during the scan then protects one snapshot, not
  // two, so at most readers + 1 stay alive.
  for (size_t i = 0; i < held_.size(); ++i) {
    held_[i] = slots_[i].hazard.load(std::memory_order_seq_cst);
  }
  auto unused = [this](const std::shared_ptr<const registry::Snapshot>& s) {
    return std::find(held_.begin(), held_.end(), s.get()) == held_.end();
  };
  // Released here, on the publishing thread; the latest (last) always stays.
  auto last = std::prev(kept_.end());
  kept_.erase(std::remove_if(kept_.begin(), last, unused), last);
}

}  // namespace srvd::dns
