// loop.hpp -- one DNS thread: its libuv loop, its UDP and TCP listeners.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <thread>

#include "dns/forwarder.hpp"
#include "dns/loop_state.hpp"
#include "dns/snapshot_board.hpp"
#include "dns/tcp_listener.hpp"
#include "dns/udp_listener.hpp"

namespace srvd::dns {

/// A DNS loop. Lifecycle: open() on the creating thread, then run() starts the thread;
/// request_stop() may be called from any thread; join() waits for the thread, which has
/// closed every handle and the loop by then. If open() fails, call join() to close what was
/// opened. Non-copyable, non-movable (libuv holds `this`).
class DnsLoop {
 public:
  /// Answers from `board` (which must outlive the loop) as its reader `reader`.
  DnsLoop(const LoopOptions& options, SnapshotBoard& board, size_t reader);
  DnsLoop(const DnsLoop&) = delete;
  DnsLoop& operator=(const DnsLoop&) = delete;
  ~DnsLoop();

  /// Initialises the loop and adopts the bound sockets (takes ownership of both fds, also on
  /// failure). Returns 0 or a libuv error code.
  int open(int udp_fd, int tcp_fd);
  /// Starts the thread. Returns false if it could not be created.
  bool run();
  /// Asks the loop to close its handles and end; returns at once.
  void request_stop();
  /// Waits for the thread (or, if it never ran, closes the loop here). Idempotent.
  void join();
  /// Counters and limits, for tests and metrics; read only after join() or on the loop.
  const LoopState& state() const { return *state_; }

 private:
  static void on_async(uv_async_t* h) noexcept;
  void wake();
  void close_handles();
  void finish();

  std::unique_ptr<LoopState> state_;  // large buffers: kept off the caller's stack
  UdpListener udp_;
  TcpListener tcp_;
  std::unique_ptr<Forwarder> forwarder_;  // with --upstream only
  uv_async_t async_{};                    ///< request_stop()'s wake-up
  bool loop_initialized_ = false;
  bool async_initialized_ = false;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace srvd::dns
