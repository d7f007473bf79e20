// etcd_watch.hpp -- the thread that keeps the local registry in step with etcd: read, then watch.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/etcd_availability.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_lease_book.hpp"
#include "store/etcd_mirror.hpp"
#include "store/etcd_stop_flag.hpp"

namespace srvd::store {

/// A full read of the instance keys.
struct FullRead {
  std::vector<EtcdKv> kvs;
  int64_t revision = 0;
};

/// What the watch found, handed on (from its thread: the receiver posts it to the loop).
struct WatchOutput {
  /// A full read: every instance key there is. `new_history`: etcd is at a revision older
  /// than one it showed us before -- its data was replaced (a restored backup, a wiped
  /// member) -- so revisions remembered from before mean nothing.
  std::function<void(FullRead read, bool new_history)> snapshot;
  /// Changes in revision order.
  std::function<void(std::vector<EtcdEvent> events)> events;
};

/// A range reply, decoded; nullopt if it is not one.
std::optional<FullRead> read_range_reply(const EtcdReply& reply);

/// Watches "<prefix>/" from a revision, so nothing is missed or seen twice: after a dropped
/// stream it resumes from the revision after the last event. It reads everything again (and
/// the receiver diffs) when it has to: at the start if told so, when etcd has compacted the
/// revision it needs, when a write failed (EtcdAvailability::diverged), or after a long
/// outage. It reports reachability to EtcdAvailability: lost when the stream breaks or cannot
/// be opened, restored once etcd has confirmed a new stream.
class EtcdWatch {
 public:
  EtcdWatch(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string prefix,
            EtcdAvailability& availability, LeaseBook& leases, WatchOutput output);
  ~EtcdWatch() { join(); }

  /// `next_revision`: where to start watching; 0 to read everything first.
  void start(int64_t next_revision);
  void request_stop() { stop_.request(); }
  void join();

 private:
  void run(int64_t next);
  /// A full read; returns the revision after it, or 0 if it failed.
  int64_t read_all();
  /// One stream from `next`; returns the revision to resume from (0: read everything
  /// first). `created`: etcd confirmed the stream; `compacted`: etcd no longer has `next`
  /// (compacted, or its data replaced by an older history).
  int64_t watch_from(int64_t next, uint64_t generation, bool& created, bool& compacted);

  StopFlag stop_;
  EtcdClient client_;
  std::string start_;
  std::string end_;
  int64_t seen_ = 0;  ///< the newest revision etcd has shown us; the watch thread's own
  EtcdAvailability& availability_;
  LeaseBook& leases_;
  WatchOutput output_;
  std::thread thread_;
};

}  // namespace srvd::store
