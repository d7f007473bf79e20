// etcd_writer.hpp -- the thread that writes save() batches to etcd, one after another.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "registry/store.hpp"
#include "store/etcd_availability.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_lease_book.hpp"
#include "store/etcd_stop_flag.hpp"

namespace srvd::store {

struct WriteJob {
  uint64_t id = 0;
  std::vector<registry::StoredChange> batch;
};

struct WriteResult {
  uint64_t id = 0;
  std::map<std::string, int64_t> revisions;  ///< key -> the revision our write gave it
  std::string error;                         ///< "" when the whole batch is in etcd
};

/// Executes batches in the order submitted. Per change: a removal deletes the key (and
/// revokes its lease if this replica granted it); an instance with a TTL is put with a lease
/// of its TTL in whole seconds -- the key's current lease, renewed, when it still fits, else a
/// new one -- and a heartbeat (renew_only) only renews that lease, putting the key again if
/// the lease is gone; any other instance is put without a lease. The puts and deletes of a
/// batch go in transactions of up to 128 operations. The first failure ends the batch and is
/// reported to EtcdAvailability, which makes the watch read everything again.
class EtcdWriter {
 public:
  EtcdWriter(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string prefix,
             LeaseBook& leases, EtcdAvailability& availability,
             std::function<void(WriteResult)> on_done);
  ~EtcdWriter() { join(); }

  void start();
  /// Any thread.
  void submit(WriteJob job);
  void request_stop();
  /// Jobs not started by then are dropped: their callers are told by the store.
  void join();

  /// The lease TTL for an instance TTL: whole seconds, rounded up, at least 1.
  static int64_t lease_seconds(uint64_t ttl_ms);

 private:
  struct Op {
    std::string key;
    std::optional<std::string> value;  ///< nullopt: delete
    int64_t lease = 0;
  };

  void run();
  WriteResult execute(WriteJob& job);
  /// Adds the op for one change to `ops` (none for a renewal that needed no put), granting
  /// or renewing its lease first; leases it makes useless go to `revoke`. A failed call's
  /// reply, else an ok one.
  EtcdReply plan(const registry::StoredChange& change, std::vector<Op>& ops,
                 std::vector<int64_t>& revoke);
  /// The lease to put `key` with for a TTL of `ttl_s`: its current one when it is alive
  /// and was made for this TTL (renewed here), else a new one.
  EtcdReply lease_for(const std::string& key, int64_t ttl_s, bool& renewed, int64_t& lease,
                      std::vector<int64_t>& revoke);
  /// One transaction with ops[begin, end).
  EtcdReply commit(const std::vector<Op>& ops, size_t begin, size_t end,
                   std::map<std::string, int64_t>& revisions);

  StopFlag stop_;
  EtcdClient client_;
  std::string prefix_;
  LeaseBook& leases_;
  EtcdAvailability& availability_;
  std::function<void(WriteResult)> on_done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob> queue_;
  std::thread thread_;
};

}  // namespace srvd::store
