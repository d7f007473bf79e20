// upstream_tcp.cpp -- a single DNS-over-TCP exchange with an upstream resolver.
#include "dns/upstream_tcp.hpp"

#include "dns/forwarder.hpp"
#include "dns/wire.hpp"

namespace srvd::dns {

UpstreamTcp::UpstreamTcp(Forwarder& forwarder, size_t slot, uint32_t generation)
    : forwarder_(&forwarder), slot_(slot), generation_(generation) {
  tcp_.data = this;
  connect_.data = this;
  write_.data = this;
}

bool UpstreamTcp::start(uv_loop_t* loop, const sockaddr_storage& upstream,
                        std::span<const uint8_t> query) {
  if (uv_tcp_init(loop, &tcp_) != 0) {
    delete this;  // no handle to close
    return false;
  }
  out_.resize(2 + query.size());
  put16(out_.data(), static_cast<uint16_t>(query.size()));
  std::copy(query.begin(), query.end(), out_.begin() + 2);
  if (uv_tcp_connect(&connect_, &tcp_, reinterpret_cast<const sockaddr*>(&upstream), on_connect) !=
      0) {
    forwarder_ = nullptr;
    close();
    return false;
  }
  return true;
}

void UpstreamTcp::abort() {
  forwarder_ = nullptr;
  close();
}

void UpstreamTcp::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  // A pending connect or write gets its callback (with UV_ECANCELED) before the close one.
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
           [](uv_handle_t* h) { delete static_cast<UpstreamTcp*>(h->data); });
}

void UpstreamTcp::finish(std::span<const uint8_t> answer) {
  Forwarder* f = forwarder_;
  forwarder_ = nullptr;
  if (f != nullptr) {
    f->tcp_done(slot_, generation_, answer);
  }
  close();
}

void UpstreamTcp::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<UpstreamTcp*>(req->data);
  if (self->closing_) {
    return;
  }
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(self->out_.data()),
                             static_cast<unsigned>(self->out_.size()));
  auto* stream = reinterpret_cast<uv_stream_t*>(&self->tcp_);
  if (status != 0 || uv_write(&self->write_, stream, &buf, 1, on_write) != 0 ||
      uv_read_start(stream, on_alloc, on_read) != 0) {
    self->finish({});
  }
}

void UpstreamTcp::on_write(uv_write_t* req, int status) noexcept {
  auto* self = static_cast<UpstreamTcp*>(req->data);
  if (status != 0 && !self->closing_) {
    self->finish({});
  }
}

void UpstreamTcp::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<UpstreamTcp*>(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->chunk_.data()),
                     static_cast<unsigned>(self->chunk_.size()));
}

void UpstreamTcp::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
  auto* self = static_cast<UpstreamTcp*>(s->data);
  if (self->closing_ || nread == 0) {
    return;
  }
  if (nread < 0) {
    self->finish({});
    return;
  }
  self->in_.insert(self->in_.end(), self->chunk_.begin(), self->chunk_.begin() + nread);
  if (self->in_.size() >= 2 && self->in_.size() >= 2u + get16(self->in_.data())) {
    self->finish(std::span(self->in_).subspan(2, get16(self->in_.data())));
  }
}

}  // namespace srvd::dns
