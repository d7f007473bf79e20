// etcd_election.cpp -- one replica at a time holds <prefix>.leader under its lease.
#include "store/etcd_election.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "store/etcd_base64.hpp"

namespace srvd::store {

using nlohmann::json;

namespace {

constexpr int64_t kCampaignEveryMs = 1000;
/// After a failed renewal the leader retries sooner than ttl/3: it has only ttl/2 in all.
constexpr int64_t kRetryRenewMs = 250;

}  // namespace

std::string EtcdElection::make_replica_id() {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::random_device random;
  char tail[32];
  std::snprintf(tail, sizeof tail, ":%ld:%08x", static_cast<long>(getpid()), random());
  return std::string(host) + tail;
}

EtcdElection::EtcdElection(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string key,
                           uint32_t ttl_s, EtcdAvailability& availability,
                           std::function<void(bool leader)> on_change)
    : endpoints_(endpoints),
      // A renewal that hangs must fail well within the ttl/2 the leader may go unrenewed.
      client_(std::move(endpoints),
              std::clamp<uint32_t>(ttl_s * 1000 / 4, 100, std::max<uint32_t>(timeout_ms, 100)),
              stop_.flag()),
      key_(std::move(key)),
      ttl_s_(ttl_s),
      replica_id_(make_replica_id()),
      availability_(availability),
      on_change_(std::move(on_change)) {}

void EtcdElection::start() {
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "srvd-etcd-lead");  // for top -H and perf
}

void EtcdElection::join() {
  stop_.request();
  if (!thread_.joinable()) {
    return;
  }
  thread_.join();
  if (lease_ != 0) {
    // The thread's client ends its calls once stop is set; resigning needs one that does not.
    EtcdClient resign(endpoints_, client_.timeout_ms());
    resign.revoke(lease_);
    lease_ = 0;
  }
}

void EtcdElection::report(const EtcdReply& reply) {
  if (reply.unreachable && !stop_.requested()) {
    availability_.lost(reply.error);
  }
}

void EtcdElection::run() {
  bool leader = false;
  while (!stop_.requested()) {
    int64_t pause_ms = kCampaignEveryMs;
    if (!leader) {
      if (campaign()) {
        leader = true;
        on_change_(true);
        pause_ms = ttl_s_ * 1000 / 3;
      }
    } else if (renew()) {
      // Retry soon after a failure, still leader while within ttl/2 of the last renewal.
      pause_ms = Clock::now() - renewed_at_ < std::chrono::milliseconds(ttl_s_ * 1000 / 3)
                     ? ttl_s_ * 1000 / 3
                     : kRetryRenewMs;
    } else {
      leader = false;
      on_change_(false);
    }
    stop_.wait_ms(pause_ms);
  }
}

bool EtcdElection::campaign() {
  const auto sent = Clock::now();
  if (lease_ != 0) {
    // Keep the lease of a lost campaign for the next one (one call a second, not two).
    const EtcdReply alive = client_.keepalive(lease_);
    report(alive);
    if (!alive.ok()) {
      return false;
    }
    if (json_int(alive.body, "TTL") == 0) {
      lease_ = 0;
    }
  }
  if (lease_ == 0) {
    const EtcdReply granted = client_.grant(ttl_s_);
    report(granted);
    lease_ = granted.ok() ? json_int(granted.body, "ID") : 0;
    if (lease_ == 0) {
      return false;
    }
  }
  const std::string key = base64_encode(key_);
  const json txn{{"compare", {{{"target", "CREATE"}, {"key", key}, {"create_revision", "0"}}}},
                 {"success",
                  {{{"request_put",
                     {{"key", key},
                      {"value", base64_encode(replica_id_)},
                      {"lease", std::to_string(lease_)}}}}}},
                 {"failure", {{{"request_range", {{"key", key}}}}}}};
  const EtcdReply reply = client_.call("/v3/kv/txn", txn);
  report(reply);
  if (!reply.ok()) {
    return false;
  }
  bool won = reply.body.value("succeeded", false);
  if (!won) {
    // Ours already, if an earlier attempt won but its answer was lost.
    const json kvs =
        reply.body.value(json::json_pointer("/responses/0/response_range/kvs"), json::array());
    if (kvs.is_array() && !kvs.empty()) {
      const auto kv = kv_from_json(kvs[0]);
      won = kv && kv->value == replica_id_ && kv->lease == lease_;
    }
  }
  if (won) {
    renewed_at_ = sent;
  }
  return won;
}

bool EtcdElection::renew() {
  const auto sent = Clock::now();
  const EtcdReply reply = client_.keepalive(lease_);
  report(reply);
  if (reply.ok()) {
    if (json_int(reply.body, "TTL") > 0) {
      renewed_at_ = sent;
      return true;
    }
    lease_ = 0;  // expired: another replica may lead already
    return false;
  }
  // The lease expires ttl after etcd last saw a renewal, which was no earlier than when
  // we sent it: stepping down by ttl/2 after that is always before anyone else can win.
  return Clock::now() - renewed_at_ < std::chrono::milliseconds(ttl_s_ * 1000 / 2);
}

}  // namespace srvd::store
