// etcd_election.hpp -- the check leadership: one replica at a time holds <prefix>.leader.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "store/etcd_availability.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_stop_flag.hpp"

namespace srvd::store {

/// Campaigns by creating the leader key under its own lease in a transaction that succeeds
/// only if the key does not exist (create_revision == 0), retrying about every second; the
/// leader keeps its lease alive every ttl/3. It steps down -- before the lease can expire and
/// another replica take over -- when the lease is gone or has not been renewed for ttl/2.
/// stop() revokes the lease, so another replica takes over at once. `on_change` is called on
/// this thread (the store posts it to the loop) with each gain and loss.
class EtcdElection {
 public:
  EtcdElection(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string key,
               uint32_t ttl_s, EtcdAvailability& availability,
               std::function<void(bool leader)> on_change);
  ~EtcdElection() { join(); }

  void start();
  void request_stop() { stop_.request(); }
  /// Stops, and resigns (revokes the lease; best effort, bounded by the request timeout).
  void join();

  /// "host:pid:random": what the leader key holds, unique per process start.
  static std::string make_replica_id();

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  /// One attempt to become leader; true if it did.
  bool campaign();
  /// One renewal; false if the leadership is lost.
  bool renew();
  void report(const EtcdReply& reply);

  StopFlag stop_;
  std::vector<std::string> endpoints_;
  EtcdClient client_;
  std::string key_;
  int64_t ttl_s_;
  std::string replica_id_;
  EtcdAvailability& availability_;
  std::function<void(bool)> on_change_;
  int64_t lease_ = 0;
  Clock::time_point renewed_at_{};  ///< when the last successful renewal was sent
  std::thread thread_;
};

}  // namespace srvd::store
