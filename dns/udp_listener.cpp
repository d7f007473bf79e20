// udp_listener.cpp -- the UDP hot path: slab in, loop buffer out, no queueing.
#include "dns/udp_listener.hpp"

#include <unistd.h>

#include "dns/forwarder.hpp"

namespace srvd::dns {

int UdpListener::open(int fd) {
  int rc = uv_udp_init(&state_.loop, &handle_);
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  initialized_ = true;
  handle_.data = this;
  rc = uv_udp_open(&handle_, fd);  // takes ownership of fd on success
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  return uv_udp_recv_start(&handle_, on_alloc, on_recv);
}

void UdpListener::close() {
  if (initialized_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
  }
}

void UdpListener::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<UdpListener*>(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->state_.slab.data()),
                     static_cast<unsigned>(self->state_.slab.size()));
}

void UdpListener::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t*, const sockaddr* addr,
                          unsigned flags) noexcept {
  static_cast<UdpListener*>(h->data)->receive(nread, addr, flags);
}

void UdpListener::receive(ssize_t nread, const sockaddr* addr, unsigned flags) {
  // nread == 0 with no address means "nothing more to read", not an empty datagram; errors
  // on a UDP socket (e.g. ICMP unreachable from an earlier send) concern no one query.
  if (nread <= 0 || addr == nullptr) {
    return;
  }
  if ((flags & UV_UDP_PARTIAL) != 0) {  // larger than the slab: not a DNS query we can read
    ++state_.ctx.counters.dropped;
    return;
  }
  std::span<const uint8_t> in(state_.slab.data(), static_cast<size_t>(nread));
  size_t n = state_.answer(in, Transport::udp);
  if (n == 0) {
    if (state_.ctx.forward && state_.forwarder != nullptr) {
      state_.forwarder->forward_udp(in, addr, &handle_);  // answered when the upstream is
    }
    return;
  }
  // Sent straight from the loop buffer; on EAGAIN/ENOBUFS the client will retry (STYLE §13).
  uv_buf_t out =
      uv_buf_init(reinterpret_cast<char*>(state_.response_body().data()), static_cast<unsigned>(n));
  if (uv_udp_try_send(&handle_, &out, 1, addr) < 0) {
    ++state_.ctx.counters.send_failed;
  }
}

}  // namespace srvd::dns
