// udp_listener.cpp -- the UDP hot path: a batch of datagrams in, their answers out, no queueing.
#include "dns/udp_listener.hpp"

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

#include "dns/forwarder.hpp"

namespace srvd::dns {

// One batch's worth of recvmmsg/sendmmsg state, built once in open(). The datagram and
// answer buffers have no initialiser: the kernel and handle_query write them before they are
// read, and untouched pages stay unmapped.
struct UdpListener::Batch {
  std::array<mmsghdr, kBatch> in{};
  std::array<iovec, kBatch> in_iov{};
  std::array<sockaddr_storage, kBatch> from{};
  std::array<mmsghdr, kBatch> out{};
  std::array<iovec, kBatch> out_iov{};
  std::array<std::array<uint8_t, kMaxQuery>, kBatch> query;
  std::array<uint8_t, kArenaSize> arena;
};

UdpListener::UdpListener(LoopState& state) : state_(state) {}

UdpListener::~UdpListener() { close_fd(); }

int UdpListener::open(int fd) {
  fd_ = fd;                 // ours from here on: closed by close_fd(), also on failure
  batch_.reset(new Batch);  // default-initialised on purpose (see Batch)
  Batch& b = *batch_;
  for (size_t i = 0; i < kBatch; ++i) {
    b.in_iov[i] = {b.query[i].data(), kMaxQuery};
    b.in[i].msg_hdr.msg_iov = &b.in_iov[i];
    b.in[i].msg_hdr.msg_iovlen = 1;
    b.in[i].msg_hdr.msg_name = &b.from[i];
    b.out[i].msg_hdr.msg_iov = &b.out_iov[i];
    b.out[i].msg_hdr.msg_iovlen = 1;
  }
  int rc = uv_poll_init(&state_.loop, &poll_, fd_);
  if (rc != 0) {
    close_fd();
    return rc;
  }
  initialized_ = true;
  poll_.data = this;
  return uv_poll_start(&poll_, UV_READABLE, on_poll);
}

void UdpListener::close() {
  auto* h = reinterpret_cast<uv_handle_t*>(&poll_);
  if (initialized_ && !uv_is_closing(h)) {
    // libuv must stop polling the descriptor before it is closed (uv_poll_t docs).
    uv_close(h, [](uv_handle_t* closed) { static_cast<UdpListener*>(closed->data)->close_fd(); });
  } else if (!initialized_) {
    close_fd();
  }
}

void UdpListener::close_fd() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool UdpListener::send_to(std::span<const uint8_t> msg, const sockaddr* to) {
  socklen_t len = to->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  ssize_t rc;
  do {
    rc = ::sendto(fd_, msg.data(), msg.size(), 0, to, len);
  } while (rc < 0 && errno == EINTR);
  return rc >= 0;
}

void UdpListener::on_poll(uv_poll_t* h, int status, int) noexcept {
  if (status == 0) {
    static_cast<UdpListener*>(h->data)->drain();
  }
}

void UdpListener::drain() {
  Batch& b = *batch_;
  // A short batch means the socket is empty: no recvmmsg just to hear EAGAIN, unless a busy
  // one from a dense stream (linger_pays) makes it worth a short sleep and another read.
  // After kMaxRounds reads the loop turns (TCP, timers, stop): at most (kMaxRounds - 1)
  // lingers, ~0.25 ms with the default timer slack, before it does; the fd may still be
  // readable.
  for (size_t round = 0; round < kMaxRounds; ++round) {
    for (auto& m : b.in) {
      m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);  // the kernel shrinks it per datagram
    }
    int got = ::recvmmsg(fd_, b.in.data(), kBatch, MSG_DONTWAIT, nullptr);
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // the vDSO: no syscall
    rate_.add(
        got > 0 ? static_cast<size_t>(got) : 0,
        static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec));
    // EAGAIN, or an error that concerns no one query (a pending ICMP error): wait for more.
    if (got <= 0) {
      return;
    }
    answer(static_cast<size_t>(got));
    if (static_cast<size_t>(got) == kBatch) {
      continue;  // there may be more already
    }
    if (!linger_pays(static_cast<size_t>(got), rate_.per_second()) || round + 1 == kMaxRounds) {
      return;
    }
    // Not uv_timer (millisecond resolution) and not epoll: see lingers_after. EINTR only
    // shortens the wait.
    const timespec linger{0, kLingerNs};
    ::clock_nanosleep(CLOCK_MONOTONIC, 0, &linger, nullptr);
  }
}

void UdpListener::answer(size_t count) {
  Batch& b = *batch_;
  // Read once per batch, after recvmmsg: every datagram in it arrived before this read.
  const registry::Snapshot* snapshot = state_.snapshot();
  const size_t largest = std::max<size_t>(state_.ctx.edns_payload, kClassicUdpPayload);
  size_t used = 0;
  size_t ready = 0;
  for (size_t i = 0; i < count; ++i) {
    const msghdr& h = b.in[i].msg_hdr;
    if ((h.msg_flags & MSG_TRUNC) != 0 || snapshot == nullptr) {
      ++state_.ctx.counters.dropped;  // larger than any query we read, or nothing to serve yet
      continue;
    }
    if (kArenaSize - used < largest) {  // only with a large --edns-payload
      flush(ready);
      used = 0;
      ready = 0;
    }
    std::span<const uint8_t> in(b.query[i].data(), b.in[i].msg_len);
    std::span<uint8_t> out(b.arena.data() + used, kArenaSize - used);
    size_t n = handle_query(*snapshot, in, out, Transport::udp, state_.ctx);
    if (n == 0) {
      if (state_.ctx.forward && state_.forwarder != nullptr) {
        // Answered when the upstream is, through send_to(); the query and address are copied.
        state_.forwarder->forward_udp(in, reinterpret_cast<const sockaddr*>(&b.from[i]), this);
      }
      continue;
    }
    msghdr& o = b.out[ready].msg_hdr;
    b.out_iov[ready] = {out.data(), n};
    o.msg_name = &b.from[i];
    o.msg_namelen = h.msg_namelen;
    ++ready;
    used += n;
  }
  flush(ready);
}

void UdpListener::flush(size_t count) {
  Batch& b = *batch_;
  size_t sent = 0;
  while (sent < count) {
    int rc = ::sendmmsg(fd_, b.out.data() + sent, static_cast<unsigned>(count - sent), 0);
    if (rc > 0) {
      sent += static_cast<size_t>(rc);
      continue;
    }
    if (rc < 0 && errno == EINTR) {
      continue;
    }
    if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      // The socket buffer is full: the rest would fail too; the clients retry (STYLE §13).
      state_.ctx.counters.send_failed += count - sent;
      return;
    }
    // This one destination was refused (EPERM from a firewall, say): skip it, send the rest.
    ++state_.ctx.counters.send_failed;
    ++sent;
  }
}

}  // namespace srvd::dns
