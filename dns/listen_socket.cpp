// listen_socket.cpp -- socket(), SO_REUSEPORT, bind(): what libuv 1.44 does not do for us.
#include "dns/listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace srvd::dns {

SocketFd& SocketFd::operator=(SocketFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = o.release();
  }
  return *this;
}

SocketFd::~SocketFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int SocketFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

namespace {

constexpr int kPortAttempts = 32;

socklen_t address_size(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

void set_port(sockaddr_storage& a, uint16_t port) {
  if (a.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
  }
}

std::string describe(const sockaddr_storage& a, int socktype, int err) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (a.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
    port = ntohs(in6.sin6_port);
  } else {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(a);
    inet_ntop(AF_INET, &in4.sin_addr, host, sizeof host);
    port = ntohs(in4.sin_port);
  }
  std::string where = a.ss_family == AF_INET6 ? "[" + std::string(host) + "]" : host;
  return (socktype == SOCK_DGRAM ? "udp " : "tcp ") + where + ":" + std::to_string(port) + ": " +
         std::strerror(err);
}

// Returns 0 and the bound socket, or an errno value.
int bind_one(const sockaddr_storage& a, int socktype, SocketFd& out) {
  SocketFd fd(::socket(a.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return errno;
  }
  int one = 1;
  // SO_REUSEADDR lets a restarted srvd bind while old connections sit in TIME_WAIT.
  if ((socktype == SOCK_STREAM &&
       setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ||
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return errno;
  }
  if (socktype == SOCK_DGRAM) {
    grow_receive_buffer(fd.get(), kUdpReceiveBuffer);  // best effort: a smaller one still works
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), address_size(a)) != 0) {
    return errno;
  }
  out = std::move(fd);
  return 0;
}

uint16_t bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return 0;
  }
  return a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6&>(a).sin6_port)
                                 : ntohs(reinterpret_cast<sockaddr_in&>(a).sin_port);
}

// Claims `a`'s port for this process before the SO_REUSEPORT binds: a probe socket per
// protocol binds it *without* SO_REUSEPORT and is closed again. Sockets that set SO_REUSEPORT
// (and have the same user) share a port silently, so without this a second srvd on the same
// --dns port would join the first one's group and take half its queries, and with port 0
// the kernel's UDP autobind may even pick a port another process's group holds (it skips
// only ports it could not share). The probe conflicts with every socket already there, so
// the port is free for both protocols when it succeeds. Sets `a`'s port when it was 0; the
// window between the probe and the binds that follow is a few microseconds.
int claim_port(sockaddr_storage& a, int& failed_type) {
  failed_type = SOCK_DGRAM;
  SocketFd udp(::socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (udp.get() < 0) {
    return errno;
  }
  if (::bind(udp.get(), reinterpret_cast<const sockaddr*>(&a), address_size(a)) != 0) {
    return errno;
  }
  set_port(a, bound_port(udp.get()));
  failed_type = SOCK_STREAM;
  SocketFd tcp(::socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (tcp.get() < 0) {
    return errno;
  }
  int one = 1;  // TIME_WAIT connections of an earlier srvd do not count; a listener does
  if (setsockopt(tcp.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(tcp.get(), reinterpret_cast<const sockaddr*>(&a), address_size(a)) != 0) {
    return errno;
  }
  return 0;
}

}  // namespace

int grow_receive_buffer(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);  // EPERM: up to rmem_max
  }
  int granted = 0;
  socklen_t len = sizeof granted;
  return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &len) == 0 ? granted : -1;
}

std::vector<SocketPair> bind_socket_pairs(const sockaddr_storage& address, unsigned count,
                                          uint16_t& port, std::string& error) {
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) {
    error = "dns: the listen address is neither IPv4 nor IPv6";
    return {};
  }
  bool pick =
      (address.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(address).sin6_port
                                     : reinterpret_cast<const sockaddr_in&>(address).sin_port) == 0;
  count = count == 0 ? 1 : count;
  for (int attempt = 0; attempt < (pick ? kPortAttempts : 1); ++attempt) {
    sockaddr_storage a = address;
    std::vector<SocketPair> pairs(count);
    int failed_type = SOCK_DGRAM;
    int err = claim_port(a, failed_type);
    for (unsigned i = 0; i < count && err == 0; ++i) {
      err = bind_one(a, SOCK_DGRAM, pairs[i].udp);
      failed_type = SOCK_DGRAM;
      if (err == 0) {
        err = bind_one(a, SOCK_STREAM, pairs[i].tcp);
        failed_type = SOCK_STREAM;
      }
    }
    if (err == 0) {
      port = bound_port(pairs[0].udp.get());
      return pairs;
    }
    if (!(pick && err == EADDRINUSE)) {
      error = describe(a, failed_type, err);
      return {};
    }
  }
  error = "dns: found no port free for both UDP and TCP";
  return {};
}

}  // namespace srvd::dns
