// listen_socket.hpp -- binding the UDP+TCP socket pairs of all loops to one shared port.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace srvd::dns {

/// A socket descriptor with one owner; closed on destruction unless released.
class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  SocketFd(SocketFd&& o) noexcept : fd_(o.release()) {}
  SocketFd& operator=(SocketFd&& o) noexcept;
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  ~SocketFd();

  int get() const { return fd_; }
  /// Gives up ownership; the caller must close the descriptor.
  int release();

 private:
  int fd_ = -1;
};

/// One loop's sockets: bound, SO_REUSEPORT set, not yet listening.
struct SocketPair {
  SocketFd udp;
  SocketFd tcp;
};

/// Binds `count` UDP+TCP pairs to `address`, all on the same port with SO_REUSEPORT so the
/// kernel spreads packets and connections over the loops (libuv 1.44 cannot set it, hence
/// by hand). With port 0 the first UDP bind picks the port and the rest follow it; if TCP
/// is taken there, it starts again with a new port. Returns the pairs and sets `port`, or
/// returns an empty vector and sets `error` ("udp 127.0.0.1:53: Permission denied").
std::vector<SocketPair> bind_socket_pairs(const sockaddr_storage& address, unsigned count,
                                          uint16_t& port, std::string& error);

}  // namespace srvd::dns
