// services_file_sync.hpp -- applies the services file at start and on SIGHUP, and again until
// the store has kept it.
#pragma once

#include <uv.h>

#include <cstdint>

#include "api/http_server.hpp"
#include "registry/registry.hpp"
#include "srvd/services_file.hpp"

namespace srvd {

/// The store can refuse a services file's changes: etcd unreachable when srvd starts or is sent
/// SIGHUP, a full disk. The registry then rolls them back (durability.cpp), and without this
/// they would stay away until the next SIGHUP. So each apply waits for its batch's outcome, and
/// a refused one is applied again after a back-off (1 s, doubling up to 30 s while the store
/// keeps refusing), and not before the store reports itself available (asked every second).
/// A later apply (SIGHUP) supersedes a pending retry. On the control loop only.
class ServicesFileSync {
 public:
  static constexpr uint64_t kPollMs = 1000;
  static constexpr uint64_t kMaxBackoffMs = 30000;

  ServicesFileSync(uv_loop_t* loop, ServicesFile& file, registry::Registry& registry,
                   api::Visibility& durability);
  ServicesFileSync(const ServicesFileSync&) = delete;
  ServicesFileSync& operator=(const ServicesFileSync&) = delete;

  /// Applies what the file held when it was last read.
  void apply();
  /// SIGHUP: reads the file again and applies it; a bad file changes nothing (a retry of the
  /// last good one goes on).
  void reload() noexcept;
  /// Closes the timer; the owner must keep this alive until the loop has run once more.
  void close();

 private:
  void arm(uint64_t ms);
  void on_timer();

  ServicesFile& file_;
  registry::Registry& registry_;
  api::Visibility& durability_;
  uv_timer_t timer_{};
  uint64_t attempt_ = 0;  ///< the latest apply; outcomes of earlier ones are ignored
  uint64_t backoff_ms_ = kPollMs;
  bool closed_ = false;
};

}  // namespace srvd
