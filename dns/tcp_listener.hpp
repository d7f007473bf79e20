// tcp_listener.hpp -- one loop's listening TCP socket and the connections it accepted.
#pragma once

#include <uv.h>

#include <cstddef>

#include "dns/loop_state.hpp"

namespace srvd::dns {

class TcpConnection;

/// Owns a listening uv_tcp_t and tracks its live connections in an intrusive list, so that
/// close() can close them all. Long-lived: outlives its loop's final uv_run (STYLE §8).
class TcpListener {
 public:
  explicit TcpListener(LoopState& state) : state_(state) {}
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  /// Adopts the bound socket `fd` (takes ownership, also on failure) and listens.
  /// Returns 0 or a libuv error code.
  int open(int fd);
  /// Stops listening and closes every connection. Idempotent.
  void close();
  /// Connections open and not closing: what the cap counts.
  size_t connections() const { return active_; }

 private:
  friend class TcpConnection;
  static void on_connection(uv_stream_t* server, int status) noexcept;
  void accept();
  void link(TcpConnection* c);
  void closing(TcpConnection* c);  ///< `c` started closing: no longer counts
  void unlink(TcpConnection* c);   ///< `c` is about to be deleted

  LoopState& state_;
  uv_tcp_t handle_{};
  bool initialized_ = false;
  TcpConnection* head_ = nullptr;
  size_t active_ = 0;
};

}  // namespace srvd::dns
