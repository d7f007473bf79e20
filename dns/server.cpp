// server.cpp -- Server::start: binds the socket pairs and runs one DnsLoop per thread.
#include "dns/server.hpp"

#include <uv.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "dns/listen_socket.hpp"
#include "dns/loop.hpp"
#include "dns/snapshot_board.hpp"

namespace srvd::dns {

namespace {

class LoopServer final : public Server {
 public:
  explicit LoopServer(uint16_t port) : port_(port) {}
  ~LoopServer() override { stop(); }

  uint16_t port() const override { return port_; }

  void publish(std::shared_ptr<const registry::Snapshot> snapshot) override {
    std::lock_guard lock(mu_);  // the board takes one publisher at a time
    if (stopped_) {
      return;  // nobody answers any more
    }
    board_->publish(std::move(snapshot));
  }

  uint64_t applied_index() const override { return board_ ? board_->index() : 0; }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) {
        return;
      }
      stopped_ = true;
    }
    for (auto& loop : loops_) {
      loop->request_stop();
    }
    for (auto& loop : loops_) {
      loop->join();
    }
  }

  /// Opens one loop per socket pair and starts them; on failure stops what started.
  bool open(std::vector<SocketPair> pairs, const LoopOptions& options,
            const std::shared_ptr<const registry::Snapshot>& initial, std::string& error) {
    board_ = std::make_unique<SnapshotBoard>(initial, pairs.size());
    for (auto& pair : pairs) {
      loops_.push_back(std::make_unique<DnsLoop>(options, *board_, loops_.size()));
      int rc = loops_.back()->open(pair.udp.release(), pair.tcp.release());  // takes ownership
      if (rc != 0) {
        error = std::string("dns: cannot serve on the bound sockets: ") + uv_strerror(rc);
        stop();
        return false;
      }
    }
    for (auto& loop : loops_) {
      if (!loop->run()) {
        error = "dns: cannot start a DNS thread";
        stop();
        return false;
      }
    }
    return true;
  }

 private:
  uint16_t port_;
  std::unique_ptr<SnapshotBoard> board_;         // outlives the loops (declared first)
  std::vector<std::unique_ptr<DnsLoop>> loops_;  // fixed after open()
  std::mutex mu_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<Server> Server::start(const ServerConfig& config,
                                      std::shared_ptr<const registry::Snapshot> initial,
                                      std::string& error) {
  uint16_t port = 0;
  std::vector<SocketPair> pairs =
      bind_socket_pairs(config.address, std::max(config.threads, 1u), port, error);
  if (pairs.empty()) {
    return nullptr;
  }
  auto server = std::make_unique<LoopServer>(port);
  if (!server->open(std::move(pairs), config.loop, initial, error)) {
    return nullptr;
  }
  return server;
}

}  // namespace srvd::dns
