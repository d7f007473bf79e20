// tcp_listener.cpp -- accepting DNS-over-TCP clients within the per-loop connection cap.
#include "dns/tcp_listener.hpp"

#include <unistd.h>

#include "dns/tcp_connection.hpp"

namespace srvd::dns {

namespace {
constexpr int kBacklog = 128;
}

int TcpListener::open(int fd) {
  int rc = uv_tcp_init(&state_.loop, &handle_);
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  initialized_ = true;
  handle_.data = this;
  rc = uv_tcp_open(&handle_, fd);  // takes ownership of fd on success
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  return uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), kBacklog, on_connection);
}

void TcpListener::close() {
  if (initialized_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  }
  // close() only marks a connection; it unlinks itself later, from its close callback.
  for (TcpConnection* c = head_; c != nullptr; c = c->next) {
    c->close();
  }
}

void TcpListener::on_connection(uv_stream_t* server, int status) noexcept {
  if (status == 0) {
    static_cast<TcpListener*>(server->data)->accept();
  }
}

void TcpListener::accept() {
  // RFC 7766 §6.2.2: servers may limit connections; beyond the cap we accept and close at
  // once, so the client sees a prompt reset instead of a hanging SYN queue.
  bool reject = active_ >= state_.options.max_tcp_connections;
  auto* conn = new TcpConnection(state_, *this);
  link(conn);
  if (reject) {
    ++state_.tcp_rejected;
  } else {
    ++state_.tcp_accepted;
  }
  conn->start(reinterpret_cast<uv_stream_t*>(&handle_), reject);
}

void TcpListener::link(TcpConnection* c) {
  c->next = head_;
  if (head_ != nullptr) {
    head_->prev = c;
  }
  head_ = c;
  ++active_;
}

void TcpListener::closing(TcpConnection*) {
  // libuv runs close callbacks at the end of the loop iteration, after polling: a connection
  // closed by its idle timer must not count against the cap while the same poll accepts.
  --active_;
}

void TcpListener::unlink(TcpConnection* c) {
  if (c->prev != nullptr) {
    c->prev->next = c->next;
  } else {
    head_ = c->next;
  }
  if (c->next != nullptr) {
    c->next->prev = c->prev;
  }
  c->prev = c->next = nullptr;
}

}  // namespace srvd::dns
