// etcd_store.cpp -- the etcd Store: its threads, and the control loop's side of them.
#include "store/etcd_store.hpp"

#include <chrono>
#include <map>

#include "store/etcd_availability.hpp"
#include "store/etcd_election.hpp"
#include "store/etcd_inbox.hpp"
#include "store/etcd_keys.hpp"
#include "store/etcd_lease_book.hpp"
#include "store/etcd_mirror.hpp"
#include "store/etcd_watch.hpp"
#include "store/etcd_writer.hpp"

namespace srvd::store {

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string check_config(const EtcdConfig& config) {
  if (config.endpoints.empty()) {
    return "etcd: no endpoints";
  }
  for (const auto& e : config.endpoints) {
    if (!e.starts_with("http://") && !e.starts_with("https://")) {
      return "etcd: endpoint " + e + " is not an http:// or https:// URL";
    }
  }
  if (config.prefix.empty() || config.prefix.back() == '/') {
    return "etcd: the key prefix must be non-empty and not end in '/'";
  }
  if (config.election_ttl_s < 1 || config.request_timeout_ms < 1) {
    return "etcd: the election TTL and the request timeout must be positive";
  }
  return {};
}

/// Calls `work` on the loop's next iteration, for the one callback that has no inbox to go
/// through: a save() after close().
void call_soon(uv_loop_t* loop, std::function<void()> work) {
  struct Soon {
    uv_timer_t timer{};
    std::function<void()> work;
  };
  auto* soon = new Soon;
  soon->work = std::move(work);
  uv_timer_init(loop, &soon->timer);
  soon->timer.data = soon;
  uv_timer_start(
      &soon->timer,
      [](uv_timer_t* t) noexcept {
        auto* s = static_cast<Soon*>(t->data);
        s->work();
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) noexcept { delete static_cast<Soon*>(h->data); });
      },
      0, 0);
}

}  // namespace

class EtcdStore::Impl {
 public:
  Impl(uv_loop_t* loop, registry::Registry& registry, EtcdConfig config,
       std::function<void(bool)> on_leadership, LoopInbox* inbox)
      : loop_(loop),
        config_(std::move(config)),
        on_leadership_(std::move(on_leadership)),
        availability_(join_endpoints(config_.endpoints)),
        mirror_(registry, config_.prefix),
        inbox_(inbox),
        writer_(
            config_.endpoints, config_.request_timeout_ms, config_.prefix, leases_, availability_,
            [this](WriteResult r) { inbox_->post([this, r = std::move(r)] { on_written(r); }); }),
        watch_(config_.endpoints, config_.request_timeout_ms, config_.prefix, availability_,
               leases_,
               {.snapshot =
                    [this](FullRead read, bool new_history) {
                      inbox_->post([this, read = std::move(read), new_history] {
                        mirror_.apply_snapshot(read.kvs, read.revision, now_ms(), new_history);
                      });
                    },
                .events =
                    [this](std::vector<EtcdEvent> events) {
                      inbox_->post([this, events = std::move(events)] {
                        mirror_.apply_events(events, now_ms());
                      });
                    }}),
        election_(config_.endpoints, config_.request_timeout_ms, leader_key(config_.prefix),
                  config_.election_ttl_s, availability_, [this](bool leader) {
                    inbox_->post([this, leader] {
                      if (on_leadership_) {
                        on_leadership_(leader);
                      }
                    });
                  }) {}

  ~Impl() { close(); }

  /// The first read, on the loop: bounded by one request timeout. Then the threads.
  void start() {
    EtcdClient client(config_.endpoints, config_.request_timeout_ms);
    const std::string start = instances_range_start(config_.prefix);
    const EtcdReply reply = client.range(start, prefix_range_end(start));
    int64_t next = 0;  // 0: the watch reads everything first, once etcd answers
    if (auto read = read_range_reply(reply)) {
      leases_.replace(read->kvs, read->revision);
      mirror_.apply_snapshot(read->kvs, read->revision, now_ms());
      next = read->revision + 1;
    } else {
      availability_.lost(reply.ok() ? "bad range reply" : reply.error);
    }
    writer_.start();
    watch_.start(next);
    election_.start();
  }

  void save(std::vector<registry::StoredChange> batch, std::function<void(std::string)> done) {
    if (closed_) {
      call_soon(loop_, [done = std::move(done)] { done("etcd store closed"); });
      return;
    }
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    for (const auto& change : batch) {
      keys.push_back(instance_key(config_.prefix, change.service, change.id));
    }
    const uint64_t id = next_job_++;
    mirror_.writing(keys);
    waiting_.emplace(id, Waiting{std::move(keys), std::move(done)});
    writer_.submit({.id = id, .batch = std::move(batch)});
  }

  std::string unavailable() const {
    return closed_ ? "etcd store closed" : availability_.message();
  }

  void close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    // Stop all three first, then wait: their current calls end together.
    writer_.request_stop();
    watch_.request_stop();
    election_.request_stop();
    writer_.join();
    watch_.join();
    election_.join();
    inbox_.reset();
    std::map<uint64_t, Waiting> waiting;
    waiting.swap(waiting_);
    for (auto& [id, w] : waiting) {
      w.done("etcd store closed");
    }
  }

 private:
  struct Waiting {
    std::vector<std::string> keys;
    std::function<void(std::string)> done;
  };

  void on_written(const WriteResult& result) {
    const auto it = waiting_.find(result.id);
    if (it == waiting_.end()) {
      return;
    }
    Waiting w = std::move(it->second);
    waiting_.erase(it);
    mirror_.written(w.keys, result.revisions, now_ms());
    w.done(result.error);
  }

  uv_loop_t* loop_;
  EtcdConfig config_;
  std::function<void(bool)> on_leadership_;
  EtcdAvailability availability_;
  LeaseBook leases_;
  RegistryMirror mirror_;
  InboxPtr inbox_;
  // The threads last: destroyed (joined) first.
  EtcdWriter writer_;
  EtcdWatch watch_;
  EtcdElection election_;
  std::map<uint64_t, Waiting> waiting_;
  uint64_t next_job_ = 1;
  bool closed_ = false;
};

std::unique_ptr<EtcdStore> EtcdStore::start(uv_loop_s* loop, registry::Registry& registry,
                                            EtcdConfig config,
                                            std::function<void(bool leader)> on_leadership,
                                            std::string& error) {
  error = check_config(config);
  if (!error.empty()) {
    return nullptr;
  }
  LoopInbox* inbox = LoopInbox::create(loop);
  if (inbox == nullptr) {
    error = "etcd: cannot create the loop's async handle";
    return nullptr;
  }
  auto impl =
      std::make_unique<Impl>(loop, registry, std::move(config), std::move(on_leadership), inbox);
  impl->start();
  return std::unique_ptr<EtcdStore>(new EtcdStore(std::move(impl)));
}

EtcdStore::EtcdStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdStore::~EtcdStore() {
  if (impl_) {
    impl_->close();
  }
}

void EtcdStore::save(std::vector<registry::StoredChange> batch, uint64_t /*index*/,
                     std::function<void(std::string error)> done) {
  impl_->save(std::move(batch), std::move(done));
}

std::string EtcdStore::unavailable() const { return impl_->unavailable(); }

void EtcdStore::close() { impl_->close(); }

}  // namespace srvd::store
