// check.hpp -- one registered check: its schedule, its timeout and the run in flight.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "health/probe.hpp"
#include "registry/health.hpp"

namespace srvd::health {

class Runner;

/// The state of one instance's check on the control loop. One uv_timer_t serves both as the
/// schedule (idle: counts down to the next run) and as the deadline (running: counts down to
/// the timeout). An HTTP check keeps its connection (a Probe) between runs when the response
/// allows it and the runner's budget of kept connections has room (HTTP/1.1 keep-alive), so
/// a steady check costs one write and one read per run; a kept connection found closed when
/// a run starts is replaced once, within that run. Heap-allocated and deleted only from the
/// timer's close callback (STYLE §8); owned by Runner.
class Check final : ProbeOwner {
 public:
  Check(Runner& runner, std::string service, std::string id);
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;

  /// Initialises the timer; on failure the object is deleted and the libuv code returned.
  int init(uv_loop_t* loop);
  /// Takes `spec` and runs at once (on the loop's next turn, never from inside this call, so
  /// a registry calling start() is not re-entered). A run in flight is abandoned unreported.
  void configure(const registry::CheckSpec& spec);
  /// Abandons any run and closes; deleted once libuv is done. No result is reported after.
  void close();
  const registry::CheckSpec& spec() const { return spec_; }
  /// The runner gives this queued check a run slot: it runs on the loop's next turn.
  void grant();

 private:
  ~Check() = default;
  static void on_timer(uv_timer_t* t) noexcept;
  void run();
  /// Opens a new connection for the run in flight; false (and reported) if it cannot.
  bool connect_fresh();
  void probe_done(registry::CheckResult result, bool reusable) override;
  void probe_stale() override;
  void probe_lost() override;
  /// Closes the connection, if any, and gives back its place in the runner's budget.
  void drop_connection();
  /// The same when the probe has already closed itself.
  void forget_connection();
  void report(registry::CheckResult result);
  /// Leaves the runner's queue and gives back the run slot, whichever this check holds.
  void leave_runner_slot();

  Runner* runner_;
  std::string service_;
  std::string id_;
  registry::CheckSpec spec_;
  std::optional<sockaddr_storage> address_;  ///< nullopt when the target did not parse
  std::string target_error_;
  std::shared_ptr<const std::string> request_;  ///< built once per spec, shared with probes
  uv_timer_t timer_{};
  Probe* probe_ = nullptr;   ///< the connection: the run in flight's, or kept idle between runs
  bool running_ = false;     ///< a run is in flight (the timer is its deadline)
  bool kept_ = false;        ///< probe_ counts against the runner's budget of kept connections
  uint64_t started_at_ = 0;  ///< loop time of the current or last run's start
  uint32_t runs_ = 0;        ///< since the last configure(); the second run gets the wide jitter
  bool closing_ = false;
  bool queued_ = false;      ///< waiting for a run slot (Runner::acquire said no)
  bool holds_slot_ = false;  ///< a run slot is ours until report() or abandonment
};

}  // namespace srvd::health
