// publisher.cpp -- snapshot publishing and read-your-writes acknowledgement.
#include "srvd/publisher.hpp"

#include <vector>

namespace srvd {

/// A long-poll's timer. Heap-allocated, since libuv holds the handle until its close callback.
struct Publisher::LongPoll {
  uv_timer_t timer{};
  Publisher* owner = nullptr;
  Waiting::iterator waiter;
};

namespace {

void close_poll_timer(uv_timer_t* timer) {
  uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* h) noexcept {
    delete static_cast<Publisher::LongPoll*>(h->data);
  });
}

}  // namespace

Publisher::Publisher(uv_loop_t* loop, registry::Registry& registry)
    : registry_(registry), loop_(loop) {
  uv_prepare_init(loop, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, [](uv_prepare_t* h) noexcept {
    static_cast<Publisher*>(h->data)->on_prepare();
  });
  uv_async_init(loop, &ack_, [](uv_async_t* h) noexcept {
    static_cast<Publisher*>(h->data)->on_ack();
  });
  ack_.data = this;
}

void Publisher::when_visible(uint64_t index, std::function<void()> then) {
  if (dns_ == nullptr || dns_->applied_index() >= index) {
    then();
    return;
  }
  waiting_.emplace(index, Waiter{std::move(then), nullptr});
}

void Publisher::when_visible_within(uint64_t index, uint64_t timeout_ms,
                                    std::function<void()> then) {
  if (dns_ == nullptr || dns_->applied_index() >= index) {
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
  if (dns_ != nullptr && registry_.dirty()) {
    dns_->publish(registry_.publish());
  }
}

void Publisher::on_ack() {
  if (dns_ == nullptr) {
    return;
  }
  uint64_t applied = dns_->applied_index();
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
}

}  // namespace srvd
