// etcd_watch.cpp -- read, then watch "<prefix>/" from the revision after the read.
#include "store/etcd_watch.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "store/etcd_base64.hpp"
#include "store/etcd_keys.hpp"

namespace srvd::store {

using nlohmann::json;

namespace {

/// After this long without a stream, resuming could miss what a compaction took, and a full
/// read costs little next to the outage: read everything again.
constexpr auto kResyncAfterOutage = std::chrono::seconds(30);
constexpr int64_t kRetryMinMs = 100;
constexpr int64_t kRetryMaxMs = 1000;

}  // namespace

std::optional<FullRead> read_range_reply(const EtcdReply& reply) {
  if (!reply.ok() || !reply.body.contains("header")) {
    return std::nullopt;
  }
  FullRead read;
  const json& header = reply.body["header"];
  read.revision = json_int(header, "revision");
  if (const auto it = reply.body.find("kvs"); it != reply.body.end() && it->is_array()) {
    for (const auto& item : *it) {
      if (auto kv = kv_from_json(item)) {
        read.kvs.push_back(std::move(*kv));
      }
    }
  }
  if (read.revision <= 0) {
    return std::nullopt;
  }
  return read;
}

EtcdWatch::EtcdWatch(std::vector<std::string> endpoints, uint32_t timeout_ms, std::string prefix,
                     EtcdAvailability& availability, LeaseBook& leases, WatchOutput output)
    : client_(std::move(endpoints), timeout_ms, stop_.flag()),
      start_(instances_range_start(prefix)),
      end_(prefix_range_end(start_)),
      availability_(availability),
      leases_(leases),
      output_(std::move(output)) {}

void EtcdWatch::start(int64_t next_revision) {
  seen_ = next_revision - 1;
  thread_ = std::thread([this, next_revision] { run(next_revision); });
  pthread_setname_np(thread_.native_handle(), "srvd-etcd-watch");  // for top -H and perf
}

void EtcdWatch::join() {
  stop_.request();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void EtcdWatch::run(int64_t next) {
  int64_t retry_ms = kRetryMinMs;
  auto live_at = std::chrono::steady_clock::now();
  bool read_at_once = true;  // one immediate full read per live stream, then the back-off
  while (!stop_.requested()) {
    const uint64_t generation = availability_.generation();
    availability_.take_reconnect();  // this pass reconnects anyway
    if (availability_.take_resync() ||
        std::chrono::steady_clock::now() - live_at > kResyncAfterOutage) {
      next = 0;
    }
    if (next == 0) {
      next = read_all();
    }
    bool compacted = false;
    if (next != 0) {
      bool created = false;
      next = watch_from(next, generation, created, compacted);
      if (created) {
        live_at = std::chrono::steady_clock::now();
        retry_ms = kRetryMinMs;  // it was up: the first reconnect comes quickly
        read_at_once = true;
      }
    }
    if (stop_.requested() || availability_.stream_wanted_gone()) {
      continue;
    }
    if (compacted && read_at_once) {
      read_at_once = false;  // a member that keeps refusing gets the back-off, not a spin
      continue;
    }
    stop_.wait_ms(retry_ms);
    retry_ms = std::min(retry_ms * 2, kRetryMaxMs);
  }
}

int64_t EtcdWatch::read_all() {
  const EtcdReply reply = client_.range(start_, end_);
  auto read = read_range_reply(reply);
  if (!read) {
    if (!stop_.requested()) {
      availability_.lost(reply.ok() ? "bad range reply" : reply.error);
    }
    return 0;
  }
  // A linearizable read never goes back in time, unless etcd's history was replaced.
  const bool new_history = read->revision < seen_;
  seen_ = read->revision;
  const int64_t next = read->revision + 1;
  leases_.replace(read->kvs, read->revision);
  output_.snapshot(std::move(*read), new_history);
  return next;
}

int64_t EtcdWatch::watch_from(int64_t next, uint64_t generation, bool& created, bool& compacted) {
  const json request{{"create_request",
                      {{"key", base64_encode(start_)},
                       {"range_end", base64_encode(end_)},
                       {"start_revision", std::to_string(next)},
                       {"progress_notify", true}}}};
  bool canceled = false;
  std::string reason;
  const auto on_message = [&](const json& result) {
    if (result.value("created", false)) {
      const int64_t now_at = json_int(result.value("header", json::object()), "revision");
      if (now_at > 0 && now_at < seen_) {
        // Behind what it showed us: its data was replaced (or this member lags). It would
        // wait for `next` in a history that is not ours; a full read tells which.
        compacted = true;
        return false;
      }
      created = true;
      availability_.restored(generation);
      return true;
    }
    if (result.value("canceled", false)) {
      canceled = true;
      compacted = json_int(result, "compact_revision") > 0;
      reason = result.value("cancel_reason", "");
      return false;
    }
    std::vector<EtcdEvent> events;
    if (const auto it = result.find("events"); it != result.end() && it->is_array()) {
      for (const auto& item : *it) {
        auto kv = kv_from_json(item.value("kv", json::object()));
        if (!kv) {
          continue;
        }
        const bool deleted = item.value("type", "PUT") == "DELETE";
        leases_.learn(kv->key, deleted ? 0 : kv->lease, kv->mod_revision);
        next = std::max(next, kv->mod_revision + 1);
        seen_ = std::max(seen_, kv->mod_revision);
        events.push_back({deleted, std::move(*kv)});
      }
    }
    if (events.empty()) {
      // A progress notification: everything up to the header's revision has been sent.
      next = std::max(next, json_int(result.value("header", json::object()), "revision") + 1);
      seen_ = std::max(seen_, next - 1);
    } else {
      output_.events(std::move(events));
    }
    return true;
  };
  const auto keep_going = [&] { return !availability_.stream_wanted_gone(); };
  const EtcdReply reply = client_.stream("/v3/watch", request, on_message, keep_going);
  if (compacted) {
    return 0;  // the revisions we need are gone: read everything again at once
  }
  if (!stop_.requested() && !availability_.stream_wanted_gone()) {
    availability_.lost(canceled ? "watch canceled by etcd: " + reason : reply.error);
  }
  // Any other cancel (a start revision etcd never reached: its data was replaced) also
  // means our revisions are no good there; read everything again after the pause.
  return canceled ? 0 : next;
}

}  // namespace srvd::store
