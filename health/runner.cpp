// runner.cpp -- starting, restarting and stopping checks; jitter; delivering results.
#include "health/runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "health/check.hpp"

namespace srvd::health {

size_t kept_connection_budget(size_t max_in_flight) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  // An unlimited soft limit still has the kernel's fs.nr_open above it: count as 1M.
  uint64_t open_files = lim.rlim_cur == RLIM_INFINITY ? (1u << 20) : lim.rlim_cur;
  uint64_t reserve = std::max<uint64_t>(256, open_files / 4) + max_in_flight;
  return open_files > reserve ? static_cast<size_t>(open_files - reserve) : 0;
}

Runner::Runner(uv_loop_t* loop, Sink sink, uint32_t seed, size_t max_in_flight,
               std::optional<size_t> max_kept)
    : loop_(loop),
      sink_(std::move(sink)),
      rng_(seed),
      max_in_flight_(std::max<size_t>(1, max_in_flight)),
      max_kept_(max_kept ? *max_kept : kept_connection_budget(max_in_flight_)) {}

Runner::~Runner() { close(); }

std::string Runner::key(const std::string& service, const std::string& id) {
  std::string k;
  k.reserve(service.size() + 1 + id.size());
  return k.append(service).append(1, '/').append(id);  // '/' is in neither name
}

void Runner::start(const std::string& service, const std::string& id,
                   const registry::CheckSpec& spec) {
  if (closed_) {
    return;
  }
  auto k = key(service, id);
  auto it = checks_.find(k);
  if (it != checks_.end()) {
    if (!(it->second->spec() == spec)) {
      it->second->configure(spec);
    }
    return;
  }
  auto* check = new Check(*this, service, id);
  if (int rc = check->init(loop_); rc != 0) {  // deleted by init
    std::fprintf(stderr, "srvd: check %s: %s\n", k.c_str(), uv_strerror(rc));
    return;
  }
  checks_.emplace(std::move(k), check);
  check->configure(spec);
}

void Runner::stop(const std::string& service, const std::string& id) {
  auto it = checks_.find(key(service, id));
  if (it == checks_.end()) {
    return;
  }
  it->second->close();
  checks_.erase(it);
}

void Runner::close() {
  closed_ = true;
  queued_.clear();
  for (auto& [k, check] : checks_) {
    check->close();
  }
  checks_.clear();
}

uint64_t Runner::next_delay(uint32_t interval_ms, bool second_run) {
  uint64_t interval = std::max<uint32_t>(interval_ms, 1);
  // Fractions in 1/1000 of the interval: [500, 1500) for the second run, [900, 1100) after.
  std::uniform_int_distribution<uint64_t> permille(second_run ? 500 : 900,
                                                   second_run ? 1499 : 1099);
  return std::max<uint64_t>(1, interval * permille(rng_) / 1000);
}

bool Runner::acquire(Check& check) {
  if (in_flight_ < max_in_flight_) {
    ++in_flight_;
    return true;
  }
  queued_.push_back(&check);
  return false;
}

void Runner::release() {
  --in_flight_;
  if (!queued_.empty() && !closed_) {
    Check* next = queued_.front();
    queued_.pop_front();
    ++in_flight_;
    next->grant();
  }
}

bool Runner::acquire_kept() {
  if (kept_ >= max_kept_) {
    return false;
  }
  ++kept_;
  return true;
}

void Runner::unqueue(Check& check) {
  auto it = std::find(queued_.begin(), queued_.end(), &check);
  if (it != queued_.end()) {
    queued_.erase(it);
  }
}

void Runner::deliver(const std::string& service, const std::string& id,
                     registry::CheckResult result) {
  if (sink_) {
    sink_(service, id, std::move(result));
  }
}

}  // namespace srvd::health
