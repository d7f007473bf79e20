// http_server.cpp -- the listening socket: accepts connections and closes them all on stop.
#include "api/http_server.hpp"

#include <uv.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "api/http_connection.hpp"

namespace srvd::api {
namespace {

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string describe(const sockaddr_storage& address) {
  char host[64] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(a, host, sizeof host);
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (address.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(a, host, sizeof host);
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "an address that is neither IPv4 nor IPv6";
}

/// The listening handle's owner. Separate from the server object so that the server may be
/// destroyed before the loop delivers the close callback (STYLE.md §8).
class Listener {
 public:
  explicit Listener(std::shared_ptr<ConnectionHub> hub) : hub_(std::move(hub)) {}
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Binds and listens; on error the listener closes (and frees) itself.
  int listen(uv_loop_t* loop, const sockaddr_storage& address, uint16_t& port) {
    int rc = uv_tcp_init(loop, &tcp_);
    if (rc != 0) {
      delete this;  // libuv holds nothing yet
      return rc;
    }
    tcp_.data = this;
    rc = uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&address), 0);
    if (rc == 0) {
      rc = uv_listen(stream(), kBacklog, [](uv_stream_t* s, int status) noexcept {
        static_cast<Listener*>(s->data)->on_connection(status);
      });
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    if (rc == 0) {
      rc = uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&bound), &len);
    }
    if (rc != 0) {
      close();
      return rc;
    }
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return 0;
  }

  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
             [](uv_handle_t* h) noexcept { delete static_cast<Listener*>(h->data); });
  }

 private:
  static constexpr int kBacklog = 511;
  ~Listener() = default;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  void on_connection(int status) {
    if (status == 0) {
      status = HttpConnection::accept(stream(), hub_);
    }
    if (status != 0) {
      // The client sees its connection fail; the server keeps serving the others.
      std::fprintf(stderr, "srvd: http: accept: %s\n", uv_strerror(status));
    }
  }

  uv_tcp_t tcp_{};
  std::shared_ptr<ConnectionHub> hub_;
};

class LibuvHttpServer final : public HttpServer {
 public:
  LibuvHttpServer(Listener* listener, std::shared_ptr<ConnectionHub> hub, uint16_t port)
      : listener_(listener), hub_(std::move(hub)), port_(port) {}
  ~LibuvHttpServer() override { close(); }

  uint16_t port() const override { return port_; }

  void close() override {
    if (listener_ != nullptr) {
      listener_->close();  // takes ownership: freed in its close callback
      listener_ = nullptr;
    }
    // close() removes each connection from the set, so walk a copy.
    const std::vector<HttpConnection*> open(hub_->open.begin(), hub_->open.end());
    for (auto* c : open) {
      c->close();
    }
  }

 private:
  Listener* listener_;
  std::shared_ptr<ConnectionHub> hub_;
  uint16_t port_;
};

}  // namespace

std::unique_ptr<HttpServer> HttpServer::start(uv_loop_s* loop, const sockaddr_storage& address,
                                              registry::Registry& registry, Visibility& visibility,
                                              std::string& error) {
  auto hub = std::make_shared<ConnectionHub>(RouteContext{registry, visibility, system_now_ms});
  auto* listener = new Listener(hub);  // freed in its close callback
  uint16_t port = 0;
  if (int rc = listener->listen(loop, address, port); rc != 0) {
    error = "cannot listen for HTTP on " + describe(address) + ": " + uv_strerror(rc);
    return nullptr;
  }
  return std::make_unique<LibuvHttpServer>(listener, std::move(hub), port);
}

}  // namespace srvd::api
