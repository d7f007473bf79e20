// server.cpp -- Server::start: binds the socket pairs and runs one DnsLoop per thread.
#include "dns/server.hpp"

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <vector>

#include "dns/listen_socket.hpp"
#include "dns/loop.hpp"

namespace srvd::dns {

namespace {

class LoopServer final : public Server {
 public:
  LoopServer(uint16_t port, std::function<void()> on_advanced)
      : port_(port), on_advanced_(std::move(on_advanced)) {}
  ~LoopServer() override { stop(); }

  uint16_t port() const override { return port_; }

  void publish(std::shared_ptr<const registry::Snapshot> snapshot) override {
    std::lock_guard lock(mu_);
    if (stopped_ || !snapshot) {
      return;  // the loops' async handles are closed once stop() began
    }
    for (auto& loop : loops_) {
      loop->publish(snapshot);
    }
  }

  uint64_t applied_index() const override {
    uint64_t min = std::numeric_limits<uint64_t>::max();
    for (const auto& loop : loops_) {
      min = std::min(min, loop->applied_index());
    }
    return loops_.empty() ? 0 : min;
  }

  /// Runs on a loop thread after its swap. Only the loop whose swap moves the minimum tells
  /// the owner, once per advance: the others' swaps cannot answer a waiting write, and a
  /// wakeup of the control loop for each of them costs it a turn per loop per change.
  /// Each loop stores its index (seq_cst) before reading the others', so of two loops
  /// swapping at once at least one sees both stores; the CAS lets only one of them report.
  void on_loop_applied() {
    const uint64_t min = applied_index();
    uint64_t told = reported_.load(std::memory_order_relaxed);
    while (min > told) {
      if (reported_.compare_exchange_weak(told, min, std::memory_order_relaxed)) {
        on_advanced_();
        return;
      }
    }
  }

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
    for (auto& pair : pairs) {
      loops_.push_back(std::make_unique<DnsLoop>(options, initial, on_loop_applied_));
      int rc = loops_.back()->open(pair.udp.release(), pair.tcp.release());  // takes ownership
      if (rc != 0) {
        error = std::string("dns: cannot serve on the bound sockets: ") + uv_strerror(rc);
        stop();
        return false;
      }
    }
    reported_.store(applied_index(), std::memory_order_relaxed);
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
  std::function<void()> on_advanced_;
  // Read by the loops by reference (DnsLoop), so it lives as long as they do.
  std::function<void()> on_loop_applied_ = [this] { on_loop_applied(); };
  std::atomic<uint64_t> reported_{0};  ///< the minimum index last reported to on_advanced_
  std::vector<std::unique_ptr<DnsLoop>> loops_;  // fixed after open()
  std::mutex mu_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<Server> Server::start(const ServerConfig& config,
                                      std::shared_ptr<const registry::Snapshot> initial,
                                      std::function<void()> on_applied, std::string& error) {
  uint16_t port = 0;
  std::vector<SocketPair> pairs =
      bind_socket_pairs(config.address, std::max(config.threads, 1u), port, error);
  if (pairs.empty()) {
    return nullptr;
  }
  auto server = std::make_unique<LoopServer>(port, std::move(on_applied));
  if (!server->open(std::move(pairs), config.loop, initial, error)) {
    return nullptr;
  }
  return server;
}

}  // namespace srvd::dns
