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

/// The receive buffer asked for on each UDP socket (the kernel doubles it for its overhead):
/// a query of workload (a) takes ~830 bytes of buffer on loopback (skb truesize), so the
/// default 208 KiB holds ~256 of them -- less than what a closed-loop client keeps in flight
/// on one socket, which is then dropped whenever the loop's thread is preempted (by the
/// control loop, the store's writer, another process) while queries arrive. 2 MiB (4 MiB
/// charged, ~5,000 queries) covers a stall of ~50 ms at 100k queries/s; memory is charged
/// only for what is queued.
inline constexpr int kUdpReceiveBuffer = 2 << 20;

/// Sets `fd`'s receive buffer to `bytes`: SO_RCVBUFFORCE when the process may (CAP_NET_ADMIN),
/// else SO_RCVBUF, which the kernel caps at net.core.rmem_max. Returns the size the kernel
/// reports (twice what it granted), or -1.
int grow_receive_buffer(int fd, int bytes);

/// One loop's sockets: bound, SO_REUSEPORT set, UDP with grow_receive_buffer(kUdpReceiveBuffer),
/// not yet listening.
struct SocketPair {
  SocketFd udp;
  SocketFd tcp;
};

/// Binds `count` UDP+TCP pairs to `address`, all on the same port with SO_REUSEPORT so the
/// kernel spreads packets and connections over the loops (libuv 1.44 cannot set it, hence
/// by hand). The port is first claimed without SO_REUSEPORT, so a port another process
/// holds is refused (EADDRINUSE) rather than shared. With port 0 the claim picks the port
/// and the binds follow it; if any of them finds it taken, it starts again with a new one.
/// Returns the pairs and sets `port`, or returns an empty vector and sets `error`
/// ("udp 127.0.0.1:53: Permission denied").
std::vector<SocketPair> bind_socket_pairs(const sockaddr_storage& address, unsigned count,
                                          uint16_t& port, std::string& error);

}  // namespace srvd::dns
