// probe.cpp -- the I/O of a single check run on the control loop.
#include "health/probe.hpp"

#include <string_view>

#include "health/verdict.hpp"

namespace srvd::health {

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

void Probe::finish(registry::CheckResult result) {
  ProbeOwner* o = owner_;
  owner_ = nullptr;
  close();
  if (o != nullptr) {
    o->probe_done(std::move(result));  // may start a new probe or stop the check
  }
}

void Probe::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Probe*>(req->data);
  if (self->closing_) {
    return;
  }
  if (status != 0) {
    self->finish(failure(std::string("connect: ") + uv_strerror(status)));
    return;
  }
  if (self->request_ == nullptr || self->request_->empty()) {
    self->finish({registry::Status::healthy, "TCP connect ok"});
    return;
  }
  // libuv only reads the buffer; request_ keeps the bytes alive until on_write.
  uv_buf_t buf = uv_buf_init(const_cast<char*>(self->request_->data()),
                             static_cast<unsigned>(self->request_->size()));
  auto* stream = reinterpret_cast<uv_stream_t*>(&self->tcp_);
  int rc = uv_write(&self->write_, stream, &buf, 1, on_write);
  if (rc == 0) {
    rc = uv_read_start(stream, on_alloc, on_read);
  }
  if (rc != 0) {
    self->finish(failure(std::string("send: ") + uv_strerror(rc)));
  }
}

void Probe::on_write(uv_write_t* req, int status) noexcept {
  auto* self = static_cast<Probe*>(req->data);
  if (status != 0 && !self->closing_) {
    self->finish(failure(std::string("send: ") + uv_strerror(status)));
  }
}

void Probe::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Probe*>(h->data);
  *buf = uv_buf_init(self->line_.data() + self->received_,
                     static_cast<unsigned>(self->line_.size() - self->received_));
}

void Probe::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
  auto* self = static_cast<Probe*>(s->data);
  if (self->closing_ || nread == 0) {
    return;
  }
  if (nread < 0) {
    self->finish(failure(nread == UV_EOF
                             ? std::string("HTTP: connection closed before a response")
                             : std::string("read: ") + uv_strerror(static_cast<int>(nread))));
    return;
  }
  self->received_ += static_cast<size_t>(nread);
  std::string_view seen(self->line_.data(), self->received_);
  auto eol = seen.find('\n');
  if (eol == std::string_view::npos) {
    if (self->received_ == self->line_.size()) {
      self->finish(failure("HTTP: invalid response (no status line)"));
    }
    return;
  }
  auto line = seen.substr(0, eol);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  auto code = parse_status_line(line);
  self->finish(code ? http_verdict(*code) : failure("HTTP: invalid response (no status line)"));
}

}  // namespace srvd::health
