// etcd_availability.hpp -- whether this replica can reach etcd, shared by its threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace srvd::store {

/// The background threads find out that etcd is gone (a broken watch, a failed call); the loop
/// asks (EtcdStore::unavailable). Only the watch declares it back, because only a live watch
/// means the local registry is current again. Generations keep a failure that happens while
/// the watch reconnects from being cleared by that reconnect.
class EtcdAvailability {
 public:
  explicit EtcdAvailability(std::string endpoints_text) : endpoints_(std::move(endpoints_text)) {}

  /// "" while available, else why not. Any thread.
  std::string message() const;

  /// etcd could not be reached (`why`: curl's or etcd's words). Also asks the watch to
  /// reconnect: a member that hangs keeps its stream open, and a call elsewhere notices first.
  void lost(const std::string& why);
  /// A write failed with etcd reachable: the local registry may differ from etcd now, so the
  /// watch must read everything again before the store counts as available.
  void diverged(const std::string& why);

  /// For the watch, before it (re)connects: the generation to pass to restored().
  uint64_t generation() const;
  /// The watch is live (and resynced if asked) since `generation`: available again, unless
  /// something failed in between.
  void restored(uint64_t generation);

  /// The watch's questions, each answered true once per request.
  bool take_reconnect() { return reconnect_.exchange(false); }
  bool take_resync() { return resync_.exchange(false); }
  /// Whether the current stream should end (a reconnect or resync was asked for).
  bool stream_wanted_gone() const { return reconnect_.load() || resync_.load(); }

 private:
  const std::string endpoints_;
  mutable std::mutex mu_;
  std::string message_;
  uint64_t generation_ = 0;
  std::atomic<bool> reconnect_{false};
  std::atomic<bool> resync_{false};
};

}  // namespace srvd::store
