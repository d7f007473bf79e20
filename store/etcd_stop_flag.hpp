// etcd_stop_flag.hpp -- tells an etcd background thread to end, and wakes it from its waits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace srvd::store {

/// The atomic is what EtcdClient polls during a request; the condition variable ends the
/// pauses between requests (retry back-off, keepalive interval) at once.
class StopFlag {
 public:
  void request() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  bool requested() const { return stop_.load(); }
  const std::atomic<bool>* flag() const { return &stop_; }
  /// Sleeps up to `ms`; true if stop was requested (before or meanwhile).
  bool wait_ms(int64_t ms) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace srvd::store
