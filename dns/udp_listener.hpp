// udp_listener.hpp -- one loop's UDP socket: queries in by recvmmsg, answers out by sendmmsg.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dns/loop_state.hpp"

namespace srvd::dns {

/// Owns a bound UDP socket and the uv_poll_t that watches it. Each wakeup reads up to
/// kBatch datagrams with one recvmmsg, answers them into a packed per-listener arena and
/// sends the answers with one sendmmsg (NSD's and Knot's UDP loop): two syscalls per batch
/// instead of two per query, which libuv's uv_udp_t (one recvmsg and one sendmsg per
/// datagram, in 1.44) cannot do. Long-lived: it outlives the final uv_run of its loop, whose
/// close callback closes the socket (STYLE §8). Loop thread only; non-copyable.
class UdpListener {
 public:
  static constexpr size_t kBatch = 32;         ///< datagrams per recvmmsg/sendmmsg
  static constexpr size_t kMaxRounds = 4;      ///< full batches read per wakeup, then yield
  static constexpr size_t kMaxQuery = 4096;    ///< larger datagrams are dropped (counted)
  static constexpr size_t kArenaSize = 65536;  ///< answers of one batch, packed

  explicit UdpListener(LoopState& state);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;
  ~UdpListener();

  /// Adopts the bound, non-blocking socket `fd` (takes ownership, also on failure) and starts
  /// receiving. Returns 0 or a libuv error code.
  int open(int fd);
  /// Stops watching; the socket is closed once the loop has run. Idempotent.
  void close();
  /// Sends one datagram at once, outside any batch (the forwarder's answers). Returns false
  /// when the kernel refused it (EAGAIN/ENOBUFS and the like); the caller counts it.
  bool send_to(std::span<const uint8_t> msg, const sockaddr* to);

 private:
  struct Batch;

  static void on_poll(uv_poll_t* h, int status, int events) noexcept;
  void drain();
  void answer(size_t count);
  void flush(size_t count);
  void close_fd();

  LoopState& state_;
  uv_poll_t poll_{};
  int fd_ = -1;
  bool initialized_ = false;
  std::unique_ptr<Batch> batch_;  // ~200 KiB: headers, addresses, datagrams, answers
};

}  // namespace srvd::dns
