// test_health_support.hpp -- a loop the test drives and tiny loopback HTTP/TCP servers for health
// tests.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace health_test {

/// A private loop; the destructor closes every handle left and checks none leaked.
struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_walk(
        &loop,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) {
            uv_close(h, nullptr);
          }
        },
        nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  uint64_t now() {
    uv_update_time(&loop);
    return uv_now(&loop);
  }
  /// Runs the loop until `done()` or `ms` have passed; returns done().
  bool run_until(const std::function<bool()>& done, uint64_t ms) {
    uv_timer_t tick{};  // wakes the loop so `done` is looked at even when nothing else fires
    uv_timer_init(&loop, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) {}, 5, 5);
    uint64_t deadline = now() + ms;
    while (!done() && now() < deadline) {
      uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    return done();
  }
  /// Runs the loop for `ms` whatever happens.
  void run_for(uint64_t ms) {
    run_until([] { return false; }, ms);
  }
  /// True once no handle but closing ones remains active: what a clean stop leaves.
  size_t active_handles() {
    size_t n = 0;
    uv_walk(
        &loop,
        [](uv_handle_t* h, void* arg) {
          if (!uv_is_closing(h)) {
            ++*static_cast<size_t*>(arg);
          }
        },
        &n);
    return n;
  }
};

/// A loopback server answering every request with `answer` (switchable at any time; empty =
/// keep the connection open and say nothing). Records the requests it read.
class Server {
 public:
  explicit Server(uv_loop_t* loop) {
    std::signal(SIGPIPE, SIG_IGN);  // as srvd does: a write to a closed peer is an error, no more
    uv_tcp_init(loop, &listener_);
    listener_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 128, on_connection) == 0);
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&ss), &len);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() { close(); }
  /// Stops listening and drops every connection (a backend that dies).
  void close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&listener_))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    }
    auto open = std::move(conns_);
    conns_.clear();
    for (Conn* c : open) {
      c->server = nullptr;
      close_conn(c);
    }
  }
  /// Closes every connection but keeps listening: a server whose idle timeout struck.
  void drop_connections() {
    auto open = std::move(conns_);
    conns_.clear();
    for (Conn* c : open) {
      c->server = nullptr;
      close_conn(c);
    }
  }
  std::string url(const std::string& path = "/health") const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port); }

  int port = 0;
  std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<std::string> requests;
  int connections = 0;
  /// Keep each connection for the next request after answering (HTTP/1.1 keep-alive) instead
  /// of closing it; `answers_per_connection` > 0 then closes a connection, without answering,
  /// when a request comes after that many (a server that hung up as the client reused it),
  /// with a reset instead of a FIN when `reset` is set.
  bool keep_open = false;
  int answers_per_connection = 0;
  bool reset = false;
  bool hang_up_all = false;  ///< close at every request, without answering
  int hung_up = 0;  ///< requests met by such a close

 private:
  struct Conn {
    uv_tcp_t tcp{};
    Server* server = nullptr;
    std::string in;
    uv_write_t write{};
    std::string out;
    int answered = 0;
    char buf[1024];
  };
  static void close_conn(Conn* c) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
        auto* c = static_cast<Conn*>(h->data);
        if (c->server != nullptr) {
          c->server->conns_.erase(c);
        }
        delete c;
      });
    }
  }
  static void on_connection(uv_stream_t* s, int status) {
    if (status != 0) {
      return;
    }
    auto* server = static_cast<Server*>(s->data);
    auto* c = new Conn;
    c->server = server;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(s, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
      close_conn(c);
      return;
    }
    ++server->connections;
    server->conns_.insert(c);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c->tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* b) {
          auto* c = static_cast<Conn*>(h->data);
          *b = uv_buf_init(c->buf, sizeof c->buf);
        },
        on_read);
  }
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
    auto* c = static_cast<Conn*>(s->data);
    if (n < 0 || c->server == nullptr) {
      close_conn(c);
      return;
    }
    c->in.append(c->buf, static_cast<size_t>(n));
    if (c->in.find("\r\n\r\n") == std::string::npos || !c->out.empty()) {
      return;
    }
    Server* server = c->server;
    server->requests.push_back(c->in);
    if (server->hang_up_all ||
        (server->answers_per_connection > 0 && c->answered >= server->answers_per_connection)) {
      ++server->hung_up;
      if (server->reset) {
        c->server = nullptr;
        server->conns_.erase(c);
        uv_tcp_close_reset(&c->tcp, [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
      } else {
        close_conn(c);
      }
      return;
    }
    if (server->answer.empty()) {
      return;  // slow: say nothing, keep the connection
    }
    c->out = server->answer;
    ++c->answered;
    uv_buf_t b = uv_buf_init(c->out.data(), static_cast<unsigned>(c->out.size()));
    c->write.data = c;
    uv_write(&c->write, s, &b, 1, [](uv_write_t* w, int status) {
      auto* c = static_cast<Conn*>(w->data);
      if (status == 0 && c->server != nullptr && c->server->keep_open) {
        c->in.clear();  // ready for the next request on this connection
        c->out.clear();
        return;
      }
      close_conn(c);
    });
  }

  uv_tcp_t listener_{};
  std::set<Conn*> conns_;
};

/// A loopback port nobody listens on (bound then closed), for "connection refused".
inline int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace health_test
