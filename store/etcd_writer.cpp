// etcd_writer.cpp -- writes save() batches to etcd, in order, with leases for TTL instances.
#include "store/etcd_writer.hpp"

#include <pthread.h>

#include <set>

#include "registry/stored_instance.hpp"
#include "store/etcd_base64.hpp"
#include "store/etcd_keys.hpp"

namespace srvd::store {

using nlohmann::json;

namespace {

/// etcd's default --max-txn-ops.
constexpr size_t kMaxTxnOps = 128;

}  // namespace

int64_t EtcdWriter::lease_seconds(uint64_t ttl_ms) {
  return std::max<int64_t>(1, static_cast<int64_t>((ttl_ms + 999) / 1000));
}

EtcdWriter::EtcdWriter(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string prefix,
                       LeaseBook& leases, EtcdAvailability& availability,
                       std::function<void(WriteResult)> on_done)
    : client_(std::move(endpoints), timeout_ms, stop_.flag()),
      prefix_(std::move(prefix)),
      leases_(leases),
      availability_(availability),
      on_done_(std::move(on_done)) {}

void EtcdWriter::start() {
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "srvd-etcd-put");  // for top -H and perf
}

void EtcdWriter::submit(WriteJob job) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void EtcdWriter::request_stop() {
  {
    std::lock_guard lock(mu_);  // so run() cannot miss the wake-up between test and wait
    stop_.request();
  }
  cv_.notify_one();
}

void EtcdWriter::join() {
  request_stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void EtcdWriter::run() {
  while (true) {
    WriteJob job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_.requested() || !queue_.empty(); });
      if (stop_.requested()) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    WriteResult result = execute(job);
    if (stop_.requested()) {
      return;  // a call cut short by close(): the store fails the job itself
    }
    on_done_(std::move(result));
  }
}

WriteResult EtcdWriter::execute(WriteJob& job) {
  WriteResult result;
  result.id = job.id;
  std::vector<Op> ops;
  std::vector<int64_t> revoke;
  const auto failed = [&](const EtcdReply& reply) {
    // The registry already shows this batch; etcd does not have it (or not all of it).
    // Reading etcd again puts the registry back to what etcd holds.
    if (reply.unreachable) {
      availability_.lost(reply.error);
    }
    availability_.diverged(reply.error);
    result.error = "etcd: " + reply.error;
    if (reply.ambiguous) {
      // Like any consensus store's timeout: the write was refused here, but etcd may still
      // commit it when it recovers, and then every replica serves it.
      result.error += " (etcd may still apply this write once it recovers)";
    }
    return result;
  };
  for (const auto& change : job.batch) {
    if (EtcdReply reply = plan(change, ops, revoke); !reply.ok()) {
      return failed(reply);
    }
  }
  // A transaction may not touch a key twice: a repeated key starts the next one.
  size_t begin = 0;
  std::set<std::string_view> keys;
  for (size_t i = 0; i <= ops.size(); ++i) {
    const bool flush = i == ops.size() || i - begin == kMaxTxnOps || keys.contains(ops[i].key);
    if (flush && i > begin) {
      if (EtcdReply reply = commit(ops, begin, i, result.revisions); !reply.ok()) {
        return failed(reply);
      }
      begin = i;
      keys.clear();
    }
    if (i < ops.size()) {
      keys.insert(ops[i].key);
    }
  }
  // Best effort: an own lease nobody uses any more would only expire a TTL later.
  for (const int64_t lease : revoke) {
    client_.revoke(lease);
    leases_.drop_own(lease);
  }
  return result;
}

EtcdReply EtcdWriter::plan(const registry::StoredChange& change, std::vector<Op>& ops,
                           std::vector<int64_t>& revoke) {
  std::string key = instance_key(prefix_, change.service, change.id);
  const int64_t old_lease = leases_.lease_of(key);
  if (!change.instance) {
    if (old_lease != 0 && leases_.own_ttl(old_lease) != 0) {
      revoke.push_back(old_lease);
    }
    ops.push_back({std::move(key), std::nullopt, 0});
    return {};
  }
  const registry::Instance& inst = *change.instance;
  int64_t lease = 0;
  if (inst.ttl_ms > 0) {
    bool renewed = false;
    if (EtcdReply reply = lease_for(key, lease_seconds(inst.ttl_ms), renewed, lease, revoke);
        !reply.ok()) {
      return reply;
    }
    if (renewed && change.renew_only) {
      return {};  // the heartbeat is done: the key and its lease are as they were
    }
  } else if (old_lease != 0 && leases_.own_ttl(old_lease) != 0) {
    revoke.push_back(old_lease);  // the TTL was dropped: the put below detaches the key
  }
  ops.push_back({std::move(key), registry::to_stored_json(inst), lease});
  return {};
}

EtcdReply EtcdWriter::lease_for(const std::string& key, int64_t ttl_s, bool& renewed,
                                int64_t& lease, std::vector<int64_t>& revoke) {
  lease = leases_.lease_of(key);
  if (lease != 0) {
    EtcdReply reply = client_.keepalive(lease);
    if (!reply.ok()) {
      return reply;
    }
    const int64_t granted = json_int(reply.body, "TTL");  // absent: expired
    const int64_t own_ttl = leases_.own_ttl(lease);
    // Ours: if we asked for this TTL. Another replica's (or program's): by what etcd says.
    renewed = granted > 0 && (own_ttl != 0 ? own_ttl == ttl_s : leases_.fits(granted, ttl_s));
    if (renewed) {
      return reply;
    }
    if (own_ttl != 0) {
      revoke.push_back(lease);
    }
  }
  EtcdReply reply = client_.grant(ttl_s);
  if (!reply.ok()) {
    return reply;
  }
  lease = json_int(reply.body, "ID");
  if (lease == 0) {
    return EtcdReply::failure("lease grant without an ID");
  }
  leases_.granted(lease, ttl_s);
  leases_.note_grant(ttl_s, json_int(reply.body, "TTL"));
  return reply;
}

EtcdReply EtcdWriter::commit(const std::vector<Op>& ops, size_t begin, size_t end,
                             std::map<std::string, int64_t>& revisions) {
  json success = json::array();
  for (size_t i = begin; i < end; ++i) {
    const Op& op = ops[i];
    if (!op.value) {
      success.push_back({{"request_delete_range", {{"key", base64_encode(op.key)}}}});
      continue;
    }
    json put{{"key", base64_encode(op.key)}, {"value", base64_encode(*op.value)}};
    if (op.lease != 0) {
      put["lease"] = std::to_string(op.lease);
    }
    success.push_back({{"request_put", std::move(put)}});
  }
  EtcdReply reply = client_.call("/v3/kv/txn", {{"success", std::move(success)}});
  if (!reply.ok()) {
    return reply;
  }
  const int64_t revision = json_int(reply.body.value("header", json::object()), "revision");
  for (size_t i = begin; i < end; ++i) {
    revisions[ops[i].key] = revision;
    leases_.learn(ops[i].key, ops[i].lease, revision);
  }
  return reply;
}

}  // namespace srvd::store
