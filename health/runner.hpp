// runner.hpp -- registry::CheckRunner on the control loop: one Check per instance with a check.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "registry/health.hpp"

namespace srvd::health {

class Check;

/// How many check connections may stay open between runs: the soft RLIMIT_NOFILE less the
/// runs in flight (each may open one more) and a quarter of the limit (at least 256) left for
/// the rest of srvd: API clients, DNS over TCP, the store. Zero when the limit is too small.
size_t kept_connection_budget(size_t max_in_flight);

/// Runs HTTP and TCP checks without blocking `loop` (the control loop, where the Registry
/// lives) and hands every result to the sink, on the same loop, never from inside start() or
/// stop(). Jitter: the first run is at once; the second comes after a random 50-150 % of the
/// interval, which spreads the phases of checks registered together over a whole interval;
/// later ones every interval ±10 %, so they stay spread. At most `max_in_flight` runs are
/// open at once (sockets are file descriptors: 10,000 checks registered together would exhaust
/// a default limit of 1,024); the others wait in order and start as soon as one ends. At most
/// `max_kept` HTTP connections are kept between runs; a check beyond that closes its
/// connection after each run, as a check did before keep-alive.
class Runner final : public registry::CheckRunner {
 public:
  using Sink = std::function<void(const std::string& service, const std::string& id,
                                  registry::CheckResult result)>;

  /// `loop` must outlive the runner and be run until close()'s handles are closed.
  /// `max_kept`: by default kept_connection_budget(max_in_flight), read when constructed.
  Runner(uv_loop_t* loop, Sink sink, uint32_t seed = std::random_device{}(),
         size_t max_in_flight = 512, std::optional<size_t> max_kept = std::nullopt);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  /// Calls close(); the checks' memory is freed once the loop runs their close callbacks.
  ~Runner() override;

  /// Starts checking, or restarts with a new spec (the old schedule and any run in flight are
  /// dropped, the new check runs at once). The same spec again changes nothing.
  void start(const std::string& service, const std::string& id,
             const registry::CheckSpec& spec) override;
  void stop(const std::string& service, const std::string& id) override;
  /// Stops every check (shutdown); later start() calls are ignored.
  void close();
  size_t size() const { return checks_.size(); }

  // For Check.
  uint64_t next_delay(uint32_t interval_ms, bool second_run);
  /// Runs start on a grid of kGrainMs, so that the checks due about the same time run in one
  /// turn of the loop: their requests go out together and their answers come back together,
  /// and the checking loop and its target wake once per batch instead of once per millisecond
  /// (libuv's timer resolution) or per answer. At 10,000 checks at 1 s that is 100 requests
  /// per turn; the checking srvd's CPU fell 2-26% (bench/registry.sh's checks, 9 pairs).
  static constexpr uint64_t kGrainMs = 10;
  /// `due` (loop time, ms) moved to the nearest multiple of kGrainMs, unless the interval is
  /// under 10 grains (the registry allows 100 ms and up; the runner is given anything).
  static uint64_t on_grain(uint64_t due, uint32_t interval_ms) {
    return interval_ms < 10 * kGrainMs ? due : (due + kGrainMs / 2) / kGrainMs * kGrainMs;
  }
  void deliver(const std::string& service, const std::string& id, registry::CheckResult result);
  /// Takes a run slot, or queues `check` (granted later through Check::grant) and says false.
  bool acquire(Check& check);
  /// Gives a slot back, handing it to the longest-waiting check if any.
  void release();
  /// Drops a queued check (stopped or restarted before its turn).
  void unqueue(Check& check);
  size_t in_flight() const { return in_flight_; }
  /// Takes a place for a connection kept between runs; false when the budget is spent.
  bool acquire_kept();
  void release_kept() { --kept_; }
  size_t kept() const { return kept_; }
  size_t max_kept() const { return max_kept_; }

 private:
  static std::string key(const std::string& service, const std::string& id);

  uv_loop_t* loop_;
  Sink sink_;
  std::minstd_rand rng_;
  std::unordered_map<std::string, Check*> checks_;
  size_t max_in_flight_;
  size_t in_flight_ = 0;
  size_t max_kept_;
  size_t kept_ = 0;
  std::deque<Check*> queued_;
  bool closed_ = false;
};

}  // namespace srvd::health
