// health.hpp -- the contract between the registry's health state machine and the checks that feed it.
#pragma once

#include <cstdint>
#include <string>

#include "registry/instance.hpp"

namespace srvd::registry {

/// One run's verdict: healthy (HTTP 2xx, TCP connect), warning (HTTP 429), critical (anything
/// else), and what a user reads in the API ("HTTP 200", "connect: connection refused", ...).
struct CheckResult {
  Status status = Status::critical;
  std::string output;
};

/// Runs active checks; implemented outside registry/ (it needs I/O) and called by the
/// Registry on the control loop whenever an instance with a check appears, changes or goes.
/// Results come back through Registry::record_check on the same loop.
class CheckRunner {
 public:
  virtual ~CheckRunner() = default;
  /// Starts checking, or restarts with a new spec. The first run starts at once (issue 4 §4);
  /// later ones every interval with jitter so that many checks do not fire together.
  virtual void start(const std::string& service, const std::string& id, const CheckSpec& spec) = 0;
  /// Stops checking; a run in flight is abandoned and its result never reported.
  virtual void stop(const std::string& service, const std::string& id) = 0;
};

}  // namespace srvd::registry
