// etcd_inbox.cpp -- hands results from the etcd threads to the control loop.
#include "store/etcd_inbox.hpp"

#include <cstdio>

namespace srvd::store {

LoopInbox* LoopInbox::create(uv_loop_t* loop) {
  auto* inbox = new LoopInbox();
  const int rc = uv_async_init(loop, &inbox->async_, [](uv_async_t* h) noexcept {
    static_cast<LoopInbox*>(h->data)->drain();
  });
  if (rc != 0) {
    delete inbox;  // libuv never saw it
    return nullptr;
  }
  inbox->async_.data = inbox;
  return inbox;
}

void LoopInbox::post(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return;
    }
    queue_.push_back(std::move(work));
  }
  uv_async_send(&async_);
}

void LoopInbox::drain() {
  std::deque<std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    ready.swap(queue_);
  }
  for (auto& work : ready) {
    if (closed_) {
      return;  // a posted item closed the store: the rest is for nobody
    }
    try {
      work();
    } catch (const std::exception& e) {
      // Nothing may unwind into libuv; a failure here is a bug, so say so loudly.
      std::fprintf(stderr, "srvd: etcd store: %s\n", e.what());
    }
  }
}

void LoopInbox::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_),
           [](uv_handle_t* h) noexcept { delete static_cast<LoopInbox*>(h->data); });
}

}  // namespace srvd::store
