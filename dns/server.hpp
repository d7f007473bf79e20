// server.hpp -- the DNS side as the composition root sees it: N loops on UDP+TCP sockets.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "registry/snapshot.hpp"

namespace srvd::dns {

/// Tunables of each DNS loop. Defaults follow RFC 7766 §6.2.3 and NSD (tcp-count, tcp-timeout).
struct LoopOptions {
  uint64_t tcp_idle_timeout_ms = 10000;  ///< close a TCP connection idle this long
  size_t max_tcp_connections = 128;      ///< per loop; extra connections are closed at once
  uint16_t edns_payload = 1232;          ///< our UDP payload size (DNS flag day 2020)
  size_t max_tcp_backlog = 256 * 1024;   ///< unsent TCP output that pauses reading
  /// --upstream resolvers for names outside every zone, tried in order; empty: REFUSED.
  std::vector<sockaddr_storage> upstreams;
  uint64_t upstream_timeout_ms = 1500;  ///< per upstream, before the next one (or SERVFAIL)
};

struct ServerConfig {
  sockaddr_storage address{};  ///< where to listen, UDP and TCP; port 0 picks a free port
  unsigned threads = 1;        ///< DNS loops, each on its own SO_REUSEPORT sockets
  LoopOptions loop{};
};

/// Owns the DNS threads. publish() and applied_index() may be called from any thread.
class Server {
 public:
  /// Binds UDP and TCP on the same port (when port is 0, one free for both) and starts the
  /// threads, each serving `initial` until the next publish(). Returns nullptr and sets
  /// `error` when a socket cannot be bound.
  static std::unique_ptr<Server> start(const ServerConfig& config,
                                       std::shared_ptr<const registry::Snapshot> initial,
                                       std::string& error);
  virtual ~Server() = default;

  /// The bound port (same for UDP and TCP).
  virtual uint16_t port() const = 0;
  /// Makes `snapshot` the one every loop answers from: any query received after this returns
  /// is answered from it or a newer one (SnapshotBoard). Publishes are serialized.
  virtual void publish(std::shared_ptr<const registry::Snapshot> snapshot) = 0;
  /// The index of the snapshot last published: what every query received from now on sees.
  virtual uint64_t applied_index() const = 0;
  /// Stops the loops, closes the sockets and joins the threads. Idempotent.
  virtual void stop() = 0;
};

}  // namespace srvd::dns
