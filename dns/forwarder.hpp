// forwarder.hpp -- relays queries for names outside every zone to --upstream resolvers.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dns/loop_state.hpp"

namespace srvd::dns {

class TcpConnection;
class UdpListener;
class UpstreamTcp;

/// One loop's forwarder: a UDP socket per address family towards the upstreams, a fixed table
/// of queries in flight keyed by a random 16-bit ID, and one timer for their deadlines. It
/// never blocks the loop: a query goes out with uv_udp_try_send, its answer comes back in a
/// read callback. An answer is accepted only from the upstream asked, with the ID and question
/// sent (RFC 5452 §9.1). A UDP answer with TC set is asked again over TCP when the client came
/// over TCP (RFC 7766 §5); a UDP client gets it as it is and retries over TCP itself.
/// Timeouts move on to the next upstream, and after the last one the client gets SERVFAIL; a
/// full table also gives SERVFAIL (RFC 8906: never silence). Loop thread only; non-copyable.
class Forwarder {
 public:
  Forwarder(LoopState& state, std::vector<sockaddr_storage> upstreams);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  ~Forwarder();

  /// Opens the sockets and the timer on the state's loop. Returns 0 or a libuv error.
  int open();
  /// Closes every handle (and any TCP query in flight). The object must outlive the loop's
  /// final uv_run, which delivers the close callbacks.
  void close();

  /// Forwards the query `in` from a UDP client at `client`, answered later through `via`'s
  /// socket (UdpListener::send_to). `in` and `client` are copied; `via` must outlive this.
  void forward_udp(std::span<const uint8_t> in, const sockaddr* client, UdpListener* via);
  /// Forwards the query `in` from a TCP client; the answer goes to conn->send_response().
  void forward_tcp(std::span<const uint8_t> in, TcpConnection* conn);
  /// `conn` is closing: its queries are still completed upstream, but answered to no one.
  void forget(const TcpConnection* conn);

  struct Counters {
    uint64_t forwarded = 0;  ///< queries sent upstream (first tries)
    uint64_t answered = 0;   ///< upstream answers relayed
    uint64_t servfail = 0;   ///< timeouts and a full table
    uint64_t rejected = 0;   ///< upstream packets that matched no query (late or spoofed)
    uint64_t over_tcp = 0;   ///< truncated answers asked again over TCP
  };
  const Counters& counters() const { return counters_; }

  static constexpr size_t kMaxInFlight = 512;    ///< per loop; more gives SERVFAIL
  static constexpr size_t kMaxQuerySize = 1232;  ///< larger queries are not forwarded

 private:
  friend class UpstreamTcp;
  struct Pending;

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                      unsigned flags) noexcept;
  static void on_tick(uv_timer_t* t) noexcept;

  void start(std::span<const uint8_t> in, Pending*& out);
  void receive(std::span<const uint8_t> msg, const sockaddr* from);
  void tick();
  bool send_udp(Pending& p);
  void advance(Pending& p);  ///< next upstream, or SERVFAIL after the last
  void deliver(Pending& p, std::span<const uint8_t> answer);
  void tcp_done(size_t slot, uint32_t generation, std::span<const uint8_t> answer);
  void fail(Pending& p);
  void reply(Pending& p, size_t n);
  void release(Pending& p);
  uv_udp_t* socket_for(const sockaddr_storage& upstream);

  LoopState& state_;
  std::vector<sockaddr_storage> upstreams_;
  uv_udp_t udp4_{};
  uv_udp_t udp6_{};
  uv_timer_t timer_{};
  bool udp4_open_ = false;
  bool udp6_open_ = false;
  bool timer_open_ = false;
  bool ticking_ = false;
  std::unique_ptr<Pending[]> table_;  ///< kMaxInFlight slots and a spare, allocated once
  std::vector<uint16_t> free_;        ///< free slot numbers
  std::unique_ptr<std::array<uint16_t, 65536>> by_id_;  ///< upstream ID -> slot + 1, 0 = free
  size_t in_flight_ = 0;
  Counters counters_;
};

}  // namespace srvd::dns
