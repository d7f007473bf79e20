// publisher.cpp -- snapshot publishing and read-your-writes acknowledgement.
#include "srvd/publisher.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace srvd {

/// A long-poll's timer. Heap-allocated, since libuv holds the handle until its close callback.
struct Publisher::LongPoll {
  uv_timer_t timer{};
  Publisher* owner = nullptr;
  Waiting::iterator waiter;
};

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// A summary (in seconds) from a sum in ns and a count, as Prometheus text.
void append_summary(std::string& out, const char* name, const char* help, uint64_t sum_ns,
                    uint64_t count) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "# HELP %s %s\n# TYPE %s summary\n%s_sum %.9f\n%s_count %llu\n", name, help,
                name, name, static_cast<double>(sum_ns) / 1e9, name,
                static_cast<unsigned long long>(count));
  out += buf;
}

void close_poll_timer(uv_timer_t* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) noexcept {
    delete static_cast<Publisher::LongPoll*>(h->data);
  });
}

}  // namespace

Publisher::Publisher(uv_loop_t* loop, registry::Registry& registry, uint64_t max_hold_ms)
    : registry_(registry), max_hold_ms_(max_hold_ms), loop_(loop) {
  uv_prepare_init(loop, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, [](uv_prepare_t* h) noexcept {
    static_cast<Publisher*>(h->data)->on_prepare();
  });
  uv_async_init(loop, &ack_, [](uv_async_t* h) noexcept {
    static_cast<Publisher*>(h->data)->on_ack();
  });
  ack_.data = this;
  uv_timer_init(loop, &hold_timer_);
}

void Publisher::when_visible(uint64_t index, std::function<void()> then) {
  if (visible(index)) {
    then();
    return;
  }
  waiting_.emplace(index, Waiter{std::move(then), nullptr});
}

void Publisher::when_visible_within(uint64_t index, uint64_t timeout_ms,
                                    std::function<void()> then) {
  if (visible(index)) {
    then();
    return;
  }
  auto* poll = new LongPoll{};  // deleted in the timer's close callback
  poll->owner = this;
  poll->timer.data = poll;
  uv_timer_init(loop_, &poll->timer);
  poll->waiter = waiting_.emplace(index, Waiter{std::move(then), poll});
  uv_timer_start(
      &poll->timer,
      [](uv_timer_t* t) noexcept {
        auto* p = static_cast<LongPoll*>(t->data);
        p->owner->on_poll_timeout(p);
      },
      timeout_ms, 0);
}

void Publisher::on_poll_timeout(LongPoll* poll) {
  auto then = std::move(poll->waiter->second.then);
  waiting_.erase(poll->waiter);  // cancelled: the ack will not find it
  close_poll_timer(&poll->timer);
  then();
}

void Publisher::on_prepare() {
  if (dns_ == nullptr || !registry_.dirty()) {
    return;
  }
  if (held_) {
    const uint64_t since = uv_now(loop_) - last_publish_ms_;
    if (since < max_hold_ms_) {
      ++held_turns_;
      if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&hold_timer_))) {
        uv_timer_start(&hold_timer_, [](uv_timer_t*) noexcept {}, max_hold_ms_ - since, 0);
      }
      return;
    }
  }
  publish();
}

void Publisher::publish_now() {
  if (dns_ != nullptr && registry_.dirty()) {
    publish();
  }
}

void Publisher::publish() {
  last_publish_ms_ = uv_now(loop_);
  uv_timer_stop(&hold_timer_);
  {
    const int64_t start = steady_ns();
    auto snapshot = registry_.publish();
    const uint64_t index = snapshot->index();
    dns_->publish(std::move(snapshot));
    const auto took = static_cast<uint64_t>(steady_ns() - start);
    publish_ns_ += took;
    ++publishes_;
    publish_max_ns_ = std::max(publish_max_ns_, took);
    // Not answered here: publish() runs inside Durability's turn too, between taking a batch
    // and handing it to the store. Durable writes need no wake-up: Durability answers them
    // when their batch is saved, by then visible.
    if (!waiting_.empty() && waiting_.begin()->first <= index) {
      uv_async_send(&ack_);
    }
  }
}

void Publisher::append_metrics(std::string& out) const {
  append_summary(out, "srvd_publish_seconds",
                 "Building a snapshot of the changed services and handing it to the DNS loops.",
                 publish_ns_, publishes_);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "# HELP srvd_publish_max_seconds The longest publish so far.\n"
                "# TYPE srvd_publish_max_seconds gauge\nsrvd_publish_max_seconds %.9f\n",
                static_cast<double>(publish_max_ns_) / 1e9);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "# HELP srvd_publish_held_total Loop turns whose changes waited for the next "
                "store batch instead of a publish of their own.\n"
                "# TYPE srvd_publish_held_total counter\nsrvd_publish_held_total %llu\n",
                static_cast<unsigned long long>(held_turns_));
  out += buf;
}

void Publisher::on_ack() {
  if (dns_ == nullptr) {
    return;
  }
  const uint64_t applied = dns_->applied_index();
  // Take the ready ones out first: a callback may add waiters (a reply that starts a write).
  std::vector<std::function<void()>> ready;
  auto end = waiting_.upper_bound(applied);
  for (auto it = waiting_.begin(); it != end; ++it) {
    if (it->second.poll != nullptr) {
      uv_timer_stop(&it->second.poll->timer);
      close_poll_timer(&it->second.poll->timer);
    }
    ready.push_back(std::move(it->second.then));
  }
  waiting_.erase(waiting_.begin(), end);
  for (auto& then : ready) {
    then();
  }
}

void Publisher::close() {
  dns_ = nullptr;
  for (auto& [index, waiter] : waiting_) {
    if (waiter.poll != nullptr) {
      close_poll_timer(&waiter.poll->timer);
    }
  }
  waiting_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&ack_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&hold_timer_), nullptr);
}

}  // namespace srvd
