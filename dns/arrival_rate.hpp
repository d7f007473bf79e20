// arrival_rate.hpp -- how fast datagrams reach one UDP listener, measured over ~1 ms windows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace srvd::dns {

/// Datagrams per second over the last closed window of at least kWindowNs, from the reads
/// themselves (count and monotonic time of each): no timer, no syscall beyond the vDSO clock.
/// A window spans the gaps between reads, so a backlog read at once after a stall counts over
/// the whole stall, not as a burst. Zero until the first window closes. Plain value type,
/// one loop's thread only.
class ArrivalRate {
 public:
  static constexpr uint64_t kWindowNs = 1'000'000;

  /// `n` datagrams read at `now_ns` (CLOCK_MONOTONIC), n >= 0.
  void add(size_t n, uint64_t now_ns) {
    if (!started_) {
      started_ = true;
      start_ns_ = now_ns;
    }
    count_ += n;
    const uint64_t elapsed = now_ns - start_ns_;
    if (elapsed >= kWindowNs) {
      per_second_ = count_ * 1'000'000'000 / elapsed;
      start_ns_ = now_ns;
      count_ = 0;
    }
  }
  uint64_t per_second() const { return per_second_; }

 private:
  bool started_ = false;
  uint64_t start_ns_ = 0;
  uint64_t count_ = 0;
  uint64_t per_second_ = 0;
};

}  // namespace srvd::dns
