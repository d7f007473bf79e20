// udp_listener.hpp -- one loop's UDP socket: queries in by recvmmsg, answers out by sendmmsg.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dns/arrival_rate.hpp"
#include "dns/loop_state.hpp"

namespace srvd::dns {

/// Owns a bound UDP socket and the uv_poll_t that watches it. Each wakeup reads up to
/// kBatch datagrams with one recvmmsg, answers them into a packed per-listener arena and
/// sends the answers with one sendmmsg (Knot's UDP loop): two syscalls per batch instead of
/// two per query, which libuv's uv_udp_t (one recvmsg and one sendmsg per datagram, in 1.44)
/// cannot do. Under a stream of queries it lingers briefly between batches instead of
/// waiting in epoll (lingers_after). Long-lived: it outlives the final uv_run of its loop,
/// whose close callback closes the socket (STYLE §8). Loop thread only; non-copyable.
class UdpListener {
 public:
  static constexpr size_t kBatch = 32;         ///< datagrams per recvmmsg/sendmmsg
  static constexpr size_t kMaxRounds = 4;      ///< reads per wakeup (full batches, lingers)
  static constexpr size_t kMaxQuery = 4096;    ///< larger datagrams are dropped (counted)
  static constexpr size_t kArenaSize = 65536;  ///< answers of one batch, packed
  /// A batch of at least this many that emptied the socket means queries are streaming in:
  /// wait kLingerNs and read again instead of going back to epoll (see lingers_after).
  static constexpr size_t kLingerMin = 4;
  static constexpr long kLingerNs = 30'000;  ///< plus the thread's timer slack (50 µs default)
  /// Below this many datagrams per second (ArrivalRate) a linger would mostly wait for
  /// nothing: 4 (kLingerMin) per ~100 µs of linger and wakeup is 40,000/s; half that, so
  /// that a loop under (a)'s load (>= 45,000/s each, unpinned) keeps lingering, while the
  /// 10,000 qps latency runs (5,000-10,000/s a loop) never do (see linger_pays).
  static constexpr uint64_t kLingerRate = 20'000;

  /// Whether drain() waits kLingerNs and reads again after a batch of `got` datagrams that
  /// emptied the socket, rather than sleeping in epoll until the next query arrives. Asleep in
  /// epoll, the next datagram must wake this thread from the sender's sendto(): a cross-CPU
  /// wakeup the *client* pays for (an IPI, ~10 µs of its CPU on a VM), and while this CPU
  /// sleeps the client's frees of our answers pile up on it until the kernel kicks it with
  /// another IPI (skb_attempt_defer_free). A timed sleep leaves no waiter on the socket, so
  /// the client's sends stay cheap, and the next batch is larger. Small batches (a lightly
  /// loaded server) go back to epoll as before: no added latency there; so do larger ones
  /// from a thin stream (linger_pays).
  static constexpr bool lingers_after(size_t got) { return got >= kLingerMin && got < kBatch; }

  /// lingers_after, and the stream is dense enough for a linger to find more (`per_second`,
  /// ArrivalRate). A batch of >= kLingerMin alone is no proof of a stream: at 10,000 qps
  /// dnsperf sends in bursts and a delayed wakeup finds a backlog: in most runs 2-21% of reads
  /// lingered, half of those lingers found nothing or 1-3 datagrams, and 4-20% of all queries
  /// waited in one, ~50 µs on average and up to 30 µs + the timer slack (~85 µs measured):
  /// a tail a server back in epoll does not have.
  static constexpr bool linger_pays(size_t got, uint64_t per_second) {
    return lingers_after(got) && per_second >= kLingerRate;
  }

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
  ArrivalRate rate_;              // of this socket's datagrams: linger_pays
  std::unique_ptr<Batch> batch_;  // ~200 KiB: headers, addresses, datagrams, answers
};

}  // namespace srvd::dns
