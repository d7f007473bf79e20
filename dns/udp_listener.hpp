// udp_listener.hpp -- one loop's UDP socket: receive into the slab, answer, try_send.
#pragma once

#include <uv.h>

#include "dns/loop_state.hpp"

namespace srvd::dns {

/// Owns a uv_udp_t on an already-bound socket. Long-lived: it outlives the final uv_run of
/// its loop, so close() needs no deleting callback (STYLE §8). Loop thread only.
class UdpListener {
 public:
  explicit UdpListener(LoopState& state) : state_(state) {}
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  /// Adopts the bound socket `fd` (takes ownership, also on failure) and starts receiving.
  /// Returns 0 or a libuv error code.
  int open(int fd);
  /// Starts closing the handle; done once the loop has run. Idempotent.
  void close();

 private:
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                      unsigned flags) noexcept;
  void receive(ssize_t nread, const sockaddr* addr, unsigned flags);

  LoopState& state_;
  uv_udp_t handle_{};
  bool initialized_ = false;
};

}  // namespace srvd::dns
