// srv_sample.hpp -- which SRV records a truncated answer keeps: RFC 2782's weighted order.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

/// xorshift64* (Vigna 2016): a few cycles per number, 8 bytes of state, no allocation. Load
/// spreading needs no secrecy, only a sequence clients cannot line up with.
class Xorshift64 {
 public:
  explicit Xorshift64(uint64_t seed = 0x9E3779B97F4A7C15ull) { reseed(seed); }
  void reseed(uint64_t seed) { state_ = seed != 0 ? seed : 0x9E3779B97F4A7C15ull; }
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  /// Uniform in (0, 1]: never 0, so its logarithm is finite.
  double unit() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

/// Per-loop scratch for choosing SRV records when an RRset does not fit (one per loop, like
/// the response buffer, so the choice never allocates).
class SrvSampler {
 public:
  /// The smallest SRV record srvd writes: owner pointer 2, fixed 10, priority/weight/port 6,
  /// target "\1x\1y\1z\0" at least 7 (domain_to_wire accepts no shorter domain).
  static constexpr size_t kMinSrvRecord = 2 + 10 + 6 + 7;
  static constexpr size_t kMaxPicks = kMaxMessageSize / kMinSrvRecord + 1;

  explicit SrvSampler(uint64_t seed = 0x9E3779B97F4A7C15ull) : rng_(seed) {}
  void reseed(uint64_t seed) { rng_.reseed(seed); }

  /// When the SRV records of `service`'s instances with protocol `udp` do not all fit in `w`,
  /// writes the ones a truncated answer keeps and returns true; otherwise writes nothing and
  /// returns false. The kept records are a prefix of one RFC 2782 selection order drawn per
  /// call: lowest priority value first, and within a priority a weighted random order (each
  /// next record chosen with probability proportional to its weight among those left), so
  /// across queries every instance gets its share however the list is sorted. Records are
  /// written whole (RFC 2181 §9), owner = the question's name, and `an` counts them.
  bool write_truncated(MessageWriter& w, const registry::ServiceRecords& service, bool udp,
                       uint32_t ttl, uint16_t& an);

 private:
  struct Pick {
    uint16_t priority;
    double key;  ///< exponential clock: smaller goes first within a priority
    uint32_t index;
  };
  Xorshift64 rng_;
  std::array<Pick, kMaxPicks> picks_{};
};

}  // namespace srvd::dns
