// publisher.cpp -- snapshot publishing and read-your-writes acknowledgement.
#include "srvd/publisher.hpp"

namespace srvd {

Publisher::Publisher(uv_loop_t* loop, registry::Registry& registry) : registry_(registry) {
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
  if (dns_ == nullptr || (dns_->applied_index() >= index && waiting_.empty())) {
    then();
    return;
  }
  waiting_.push_back({index, std::move(then)});
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
  while (!waiting_.empty() && waiting_.front().index <= applied) {
    auto then = std::move(waiting_.front().then);
    waiting_.pop_front();
    then();  // may call when_visible again; the deque stays valid for push_back
  }
}

void Publisher::close() {
  dns_ = nullptr;
  waiting_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&ack_), nullptr);
}

}  // namespace srvd
