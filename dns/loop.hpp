// loop.hpp -- one DNS thread: its libuv loop, its UDP and TCP listeners, its snapshot swap.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "dns/forwarder.hpp"
#include "dns/loop_state.hpp"
#include "dns/tcp_listener.hpp"
#include "dns/udp_listener.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

/// A DNS loop. Lifecycle: open() on the creating thread, then run() starts the thread;
/// publish() and request_stop() may be called from any thread; join() waits for the
/// thread, which has closed every handle and the loop by then. If open() fails, call
/// join() to close what was opened. Non-copyable, non-movable (libuv holds `this`).
class DnsLoop {
 public:
  /// `on_applied` must outlive the loop; it runs on the loop thread after each swap, once
  /// applied_index() returns the new index.
  DnsLoop(const LoopOptions& options, std::shared_ptr<const registry::Snapshot> initial,
          const std::function<void()>& on_applied);
  DnsLoop(const DnsLoop&) = delete;
  DnsLoop& operator=(const DnsLoop&) = delete;
  ~DnsLoop();

  /// Initialises the loop and adopts the bound sockets (takes ownership of both fds, also on
  /// failure). Returns 0 or a libuv error code.
  int open(int udp_fd, int tcp_fd);
  /// Starts the thread. Returns false if it could not be created.
  bool run();
  /// Stores `snapshot` as the latest and wakes the loop (uv_async_send coalesces; the slot
  /// always holds the newest, so nothing is lost). Releases, on the calling thread, the
  /// snapshot the loop retired at its last swap and any pending one it never applied.
  void publish(std::shared_ptr<const registry::Snapshot> snapshot);
  /// Asks the loop to close its handles and end; returns at once.
  void request_stop();
  /// Waits for the thread (or, if it never ran, closes the loop here). Idempotent.
  void join();
  /// The index of the snapshot this loop serves now.
  uint64_t applied_index() const { return applied_.load(std::memory_order_seq_cst); }

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
  uv_async_t async_{};
  bool loop_initialized_ = false;
  bool async_initialized_ = false;
  std::thread thread_;
  const std::function<void()>& on_applied_;

  std::mutex mu_;  // guards pending_, retired_ and stop_requested_
  std::shared_ptr<const registry::Snapshot> pending_;
  /// The snapshot the last swap replaced, left for publish() to release (off this thread).
  std::shared_ptr<const registry::Snapshot> retired_;
  bool stop_requested_ = false;
  std::atomic<uint64_t> applied_{0};
};

}  // namespace srvd::dns
