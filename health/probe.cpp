// probe.cpp -- the I/O of a check's connection on the control loop.
#include "health/probe.hpp"

#include <array>
#include <string_view>

#include "health/verdict.hpp"

namespace srvd::health {
namespace {

/// Every probe reads into this: a read callback consumes its bytes before the next read of any
/// connection on the loop (libuv calls alloc, read and the callback in turn), so one buffer per
/// loop thread serves them all and a kept connection holds no read buffer while idle.
thread_local std::array<char, 64 * 1024> read_slab;

/// The errors that mean a kept connection was closed by the server while it idled.
bool closed_by_peer(int code) {
  return code == UV_EOF || code == UV_ECONNRESET || code == UV_EPIPE || code == UV_ECONNABORTED;
}

}  // namespace

Probe::Probe(std::shared_ptr<const std::string> request, ProbeOwner& owner)
    : owner_(&owner), request_(std::move(request)) {
  tcp_.data = this;
  connect_.data = this;
  write_.data = this;
}

Probe* Probe::start(uv_loop_t* loop, const sockaddr_storage& address,
                    std::shared_ptr<const std::string> request, ProbeOwner& owner,
                    std::string& error) {
  auto* p = new Probe(std::move(request), owner);
  if (int rc = uv_tcp_init(loop, &p->tcp_); rc != 0) {
    delete p;  // no handle to close
    error = std::string("socket: ") + uv_strerror(rc);
    return nullptr;
  }
  int rc = uv_tcp_connect(&p->connect_, &p->tcp_, reinterpret_cast<const sockaddr*>(&address),
                          on_connect);
  if (rc != 0) {
    p->abort();
    error = std::string("connect: ") + uv_strerror(rc);
    return nullptr;
  }
  return p;
}

void Probe::abort() {
  owner_ = nullptr;
  close();
}

void Probe::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  // A pending connect or write gets its callback (UV_ECANCELED) before this close callback.
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
           [](uv_handle_t* h) { delete static_cast<Probe*>(h->data); });
}

int Probe::send() {
  if (writing_) {
    return UV_EBUSY;  // the last write's callback is still queued: write_ is not free yet
  }
  reader_.reset();
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  // A request is a hundred bytes and the socket has nothing queued: one try_write sends it,
  // with no callback. uv_write would also do, but libuv's drain after every uv_write costs an
  // epoll_ctl, one more system call per run.
  uv_buf_t buf = uv_buf_init(const_cast<char*>(request_->data()),
                             static_cast<unsigned>(request_->size()));
  int sent = uv_try_write(stream, &buf, 1);
  if (sent == static_cast<int>(buf.len)) {
    return 0;
  }
  if (sent < 0 && sent != UV_EAGAIN) {
    return sent;
  }
  if (sent > 0) {
    buf.base += sent;
    buf.len -= static_cast<unsigned>(sent);
  }
  // libuv only reads the buffer; request_ keeps the bytes alive until on_write.
  int rc = uv_write(&write_, stream, &buf, 1, on_write);
  writing_ = rc == 0;
  return rc;
}

bool Probe::run_again(std::shared_ptr<const std::string> request) {
  request_ = std::move(request);
  idle_ = false;
  reused_ = true;
  // Any failure here is before a byte of the response, on a kept connection: the owner makes
  // the run on a new connection, so the reason does not matter.
  if (closing_ || request_ == nullptr || request_->empty() || send() != 0) {
    abort();
    return false;
  }
  return true;
}

void Probe::finish(registry::CheckResult result, bool reusable) {
  ProbeOwner* o = owner_;
  if (reusable) {
    idle_ = true;  // reading goes on: the server's close is seen while idle
  } else {
    owner_ = nullptr;
    close();
  }
  if (o != nullptr) {
    o->probe_done(std::move(result), reusable);  // may run again, abort or stop the check
  }
}

void Probe::fail(const char* what, int code) {
  if (reused_ && reader_.received() == 0 && closed_by_peer(code)) {
    ProbeOwner* o = owner_;
    abort();
    if (o != nullptr) {
      o->probe_stale();
    }
    return;
  }
  if (reader_.verdict()) {
    finish(*reader_.verdict(), false);  // the status line came: the rest does not matter
    return;
  }
  finish(failure(code == UV_EOF ? std::string("HTTP: connection closed before a response")
                                : std::string(what) + ": " + uv_strerror(code)),
         false);
}

void Probe::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Probe*>(req->data);
  if (self->closing_) {
    return;
  }
  if (status != 0) {
    self->finish(failure(std::string("connect: ") + uv_strerror(status)), false);
    return;
  }
  if (self->request_ == nullptr || self->request_->empty()) {
    self->finish({registry::Status::healthy, "TCP connect ok"}, false);  // TCP: that is all
    return;
  }
  if (int rc = self->send(); rc != 0) {
    self->finish(failure(std::string("send: ") + uv_strerror(rc)), false);
    return;
  }
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
  if (rc != 0) {
    self->finish(failure(std::string("read: ") + uv_strerror(rc)), false);
  }
}

void Probe::on_write(uv_write_t* req, int status) noexcept {
  auto* self = static_cast<Probe*>(req->data);
  self->writing_ = false;
  if (status != 0 && !self->closing_ && !self->idle_) {
    self->fail("send", status);
  }
}

void Probe::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
  *buf = uv_buf_init(read_slab.data(), static_cast<unsigned>(read_slab.size()));
}

void Probe::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<Probe*>(s->data);
  if (self->closing_ || nread == 0) {
    return;
  }
  if (self->idle_) {
    // EOF, a reset, or bytes nobody asked for: this connection will not serve another run.
    ProbeOwner* o = self->owner_;
    self->abort();
    if (o != nullptr) {
      o->probe_lost();
    }
    return;
  }
  if (nread < 0) {
    self->fail("read", static_cast<int>(nread));
    return;
  }
  switch (self->reader_.feed(std::string_view(buf->base, static_cast<size_t>(nread)))) {
    case ResponseReader::Progress::more:
      return;
    case ResponseReader::Progress::done_keep:
      self->finish(*self->reader_.verdict(), true);
      return;
    case ResponseReader::Progress::done_close:
      self->finish(*self->reader_.verdict(), false);
      return;
  }
}

}  // namespace srvd::health
