// loop.cpp -- a DNS thread's life: open sockets, serve, close.
#include "dns/loop.hpp"

#include <pthread.h>
#include <unistd.h>

#include <system_error>

namespace srvd::dns {

DnsLoop::DnsLoop(const LoopOptions& options, SnapshotBoard& board, size_t reader)
    : state_(std::make_unique<LoopState>(options, board, reader)), udp_(*state_), tcp_(*state_) {}

DnsLoop::~DnsLoop() {
  request_stop();
  join();
}

int DnsLoop::open(int udp_fd, int tcp_fd) {
  int rc = uv_loop_init(&state_->loop);
  if (rc != 0) {
    ::close(udp_fd);
    ::close(tcp_fd);
    return rc;
  }
  loop_initialized_ = true;
  rc = uv_async_init(&state_->loop, &async_, on_async);
  if (rc != 0) {
    ::close(udp_fd);
    ::close(tcp_fd);
    return rc;
  }
  async_initialized_ = true;
  async_.data = this;
  rc = udp_.open(udp_fd);
  if (rc != 0) {
    ::close(tcp_fd);
    return rc;
  }
  rc = tcp_.open(tcp_fd);
  if (rc != 0 || state_->options.upstreams.empty()) {
    return rc;
  }
  forwarder_ = std::make_unique<Forwarder>(*state_, state_->options.upstreams);
  rc = forwarder_->open();
  if (rc == 0) {
    state_->forwarder = forwarder_.get();
    state_->ctx.forwarding = true;
  }
  return rc;
}

bool DnsLoop::run() {
  try {
    thread_ = std::thread([this] {
      uv_run(&state_->loop, UV_RUN_DEFAULT);
      finish();
    });
    // Named for top -H, perf and /proc: which thread is which when profiling.
    pthread_setname_np(thread_.native_handle(), "srvd-dns");
  } catch (const std::system_error&) {
    return false;
  }
  return true;
}

void DnsLoop::request_stop() {
  stop_requested_.store(true);
  wake();
}

void DnsLoop::wake() {
  // Only while the thread runs: afterwards the async handle is closed.
  if (thread_.joinable() && async_initialized_) {
    uv_async_send(&async_);
  }
}

void DnsLoop::join() {
  if (thread_.joinable()) {
    thread_.join();
  } else if (loop_initialized_) {
    close_handles();  // never ran: close here, on the thread that opened it
    uv_run(&state_->loop, UV_RUN_DEFAULT);
    finish();
  }
}

void DnsLoop::on_async(uv_async_t* h) noexcept {
  auto* self = static_cast<DnsLoop*>(h->data);
  if (self->stop_requested_.load()) {
    self->close_handles();
  }
}

void DnsLoop::close_handles() {
  udp_.close();
  tcp_.close();
  if (forwarder_) {
    forwarder_->close();
  }
  if (async_initialized_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
}

void DnsLoop::finish() {
  if (!loop_initialized_) {
    return;
  }
  // Every handle should be closed by now; anything left is closed without a callback
  // rather than leaking the loop (STYLE §26: walk, close, run, uv_loop_close).
  uv_walk(
      &state_->loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) {
          uv_close(h, nullptr);
        }
      },
      nullptr);
  uv_run(&state_->loop, UV_RUN_DEFAULT);
  uv_loop_close(&state_->loop);
  loop_initialized_ = false;
}

}  // namespace srvd::dns
