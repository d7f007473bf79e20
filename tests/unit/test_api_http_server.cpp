// test_api_http_server.cpp -- the HTTP server over real loopback sockets, loop driven by the test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/http_server.hpp"
#include "test_api_support.hpp"

using nlohmann::json;
using namespace srvd;

namespace {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< lowercase names
  std::string body;
  json json_body() const { return json::parse(body); }
};

/// A plain blocking-connect, non-blocking-I/O client; the server's loop runs in this thread,
/// turned by the harness while the client waits, so the test can touch the registry directly.
struct Client {
  int fd = -1;
  std::string inbox;
  bool eof = false;
  ~Client() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

/// Parses one response off the front of `inbox`; false if it is not all there yet.
bool take_reply(std::string& inbox, HttpReply& out) {
  const size_t end = inbox.find("\r\n\r\n");
  if (end == std::string::npos) {
    return false;
  }
  HttpReply r;
  r.status = std::stoi(inbox.substr(9, 3));
  size_t pos = inbox.find("\r\n") + 2;
  while (pos < end) {
    const size_t eol = inbox.find("\r\n", pos);
    const std::string line = inbox.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& ch : name) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    r.headers[name] = line.substr(colon + 2);
    pos = eol + 2;
  }
  const size_t length =
      r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  if (inbox.size() < end + 4 + length) {
    return false;
  }
  r.body = inbox.substr(end + 4, length);
  inbox.erase(0, end + 4 + length);
  out = std::move(r);
  return true;
}

struct Harness {
  uv_loop_t loop{};
  registry::Registry registry{registry::ZoneConfig{}};
  api::test::FakeVisibility visibility;
  std::unique_ptr<api::HttpServer> server;

  Harness() {
    REQUIRE(uv_loop_init(&loop) == 0);
    sockaddr_storage address{};
    REQUIRE(uv_ip4_addr("127.0.0.1", 0, reinterpret_cast<sockaddr_in*>(&address)) == 0);
    std::string error;
    server = api::HttpServer::start(&loop, address, registry, visibility, error);
    REQUIRE(server);
    REQUIRE(error.empty());
    REQUIRE(server->port() != 0);
  }
  ~Harness() {
    if (server) {
      server->close();
      server.reset();
    }
    uv_run(&loop, UV_RUN_DEFAULT);     // delivers every close callback
    CHECK(uv_loop_close(&loop) == 0);  // nothing left open
  }

  /// `receive_buffer` (bytes, 0: the default) is set before connecting, so the window is small.
  std::unique_ptr<Client> connect(int receive_buffer = 0) {
    auto c = std::make_unique<Client>();
    c->fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer != 0) {
      REQUIRE(::setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                           sizeof receive_buffer) == 0);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The kernel completes the handshake from the backlog; the loop accepts on its next turn.
    REQUIRE(::connect(c->fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::fcntl(c->fd, F_SETFL, O_NONBLOCK) == 0);
    return c;
  }

  /// Runs the loop once and moves whatever arrived into the client's inbox.
  void turn(Client& c) {
    uv_run(&loop, UV_RUN_NOWAIT);
    pollfd p{c.fd, POLLIN, 0};
    ::poll(&p, 1, 2);
    char buf[65536];
    while (!c.eof) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.inbox.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        c.eof = true;  // closed or reset
      } else {
        break;
      }
    }
  }

  void send(Client& c, std::string_view data) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!data.empty()) {
      const ssize_t n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return;  // the server closed; what it answered is in the inbox
      }
      turn(c);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
  }

  /// Turns the loop until `count` responses have arrived (or, with count 0, for ~50 ms).
  std::vector<HttpReply> receive(Client& c, size_t count) {
    std::vector<HttpReply> out;
    const auto patience = count == 0 ? std::chrono::milliseconds(50) : std::chrono::seconds(5);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < deadline) {
      turn(c);
      HttpReply r;
      while (take_reply(c.inbox, r)) {
        out.push_back(std::move(r));
      }
      if (count != 0 && (out.size() >= count || c.eof)) {
        break;
      }
    }
    return out;
  }

  /// Turns the loop until `done()` holds (at most 5 s), then a few more times so that anything
  /// that should not have happened yet has had its chance.
  void turn_until(Client& c, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      turn(c);
    }
    REQUIRE(done());
    for (int i = 0; i < 10; ++i) {
      turn(c);
    }
  }

  /// Turns the loop until the server closes the connection.
  bool closed_by_server(Client& c) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!c.eof && std::chrono::steady_clock::now() < deadline) {
      turn(c);
    }
    return c.eof;
  }

  HttpReply exchange(Client& c, std::string_view request) {
    send(c, request);
    auto replies = receive(c, 1);
    REQUIRE(replies.size() == 1);
    return replies[0];
  }
};

std::string put_request(const std::string& path, const std::string& body,
                        const std::string& extra_headers = "") {
  return "PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

const std::string kGetHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kPutP1 =
    put_request("/v1/services/payment/instances/p1", R"({"address":"10.0.0.1","port":8080})");

}  // namespace

TEST_CASE("http_server: keep-alive serves two requests on one connection", "[http_server]") {
  Harness h;
  auto c = h.connect();
  HttpReply first = h.exchange(*c, kGetHealthz);
  CHECK(first.status == 200);
  CHECK(first.headers["content-type"] == "application/json");
  CHECK(first.headers["x-srvd-index"] == "0");
  CHECK(first.json_body() == json::parse(R"({"status":"ok","index":0})"));
  CHECK_FALSE(first.headers.count("connection"));

  h.visibility.visible = 100;
  HttpReply put = h.exchange(*c, kPutP1);
  CHECK(put.status == 201);
  CHECK(put.headers["x-srvd-index"] == "1");
  CHECK(put.json_body()["instance"]["address"] == "10.0.0.1");
  CHECK_FALSE(c->eof);
}

TEST_CASE("http_server: a write's response waits for visibility and order holds", "[http_server]") {
  Harness h;
  auto c = h.connect();
  // Three pipelined requests in one write: a read, a write, a read of what was written.
  h.send(*c, kGetHealthz + kPutP1 + "GET /v1/services/payment HTTP/1.1\r\nHost: x\r\n\r\n");
  h.turn_until(*c, [&] { return h.registry.index() == 1; });
  auto early = h.receive(*c, 0);
  REQUIRE(early.size() == 1);  // the GET after the PUT is ready but must not overtake it
  CHECK(early[0].status == 200);
  CHECK(h.registry.index() == 1);  // applied, not yet answered

  h.visibility.advance(1);
  auto rest = h.receive(*c, 2);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].status == 201);
  CHECK(rest[1].status == 200);
  CHECK(rest[1].json_body()["instances"][0]["id"] == "p1");
  CHECK_FALSE(c->eof);
}

TEST_CASE("http_server: bad requests get their status and leave the registry unchanged",
          "[http_server]") {
  Harness h;
  h.visibility.visible = 100;
  {
    auto c = h.connect();
    REQUIRE(h.exchange(*c, kPutP1).status == 201);
  }
  const uint64_t index = h.registry.index();

  SECTION("404 and 405 keep the connection") {
    auto c = h.connect();
    HttpReply missing = h.exchange(*c, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(missing.status == 404);
    CHECK(missing.json_body().contains("error"));
    HttpReply wrong = h.exchange(*c, "POST /v1/services HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    CHECK(wrong.status == 405);
    CHECK(wrong.headers["allow"] == "GET, HEAD");
    HttpReply bad_json = h.exchange(*c, put_request("/v1/services/payment/instances/p1", "{"));
    CHECK(bad_json.status == 400);
    CHECK_THAT(bad_json.json_body()["error"].get<std::string>(), Catch::StartsWith("invalid JSON"));
    CHECK_FALSE(c->eof);
  }
  SECTION("garbage is 400 and closes") {
    auto c = h.connect();
    HttpReply r = h.exchange(*c, "\x01\x02 garbage\r\n\r\n");
    CHECK(r.status == 400);
    CHECK(r.headers["connection"] == "close");
    CHECK(r.json_body().contains("error"));
    CHECK(h.closed_by_server(*c));
  }
  SECTION("a 70 KiB body is 413 and closes") {
    auto c = h.connect();
    const std::string big = "{\"address\":\"10.0.0.2\",\"port\":1,\"meta\":{\"k\":\"" +
                            std::string(70 * 1024, 'x') + "\"}}";
    HttpReply r = h.exchange(*c, put_request("/v1/services/payment/instances/p2", big));
    CHECK(r.status == 413);
    CHECK(r.json_body().contains("error"));
    CHECK(h.closed_by_server(*c));
  }
  SECTION("a chunked body over the cap is 413 too") {
    auto c = h.connect();
    h.send(*c,
           "PUT /v1/services/payment/instances/p2 HTTP/1.1\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "8000\r\n" + std::string(0x8000, ' ') + "\r\n";
    h.send(*c, chunk + chunk + chunk);
    auto r = h.receive(*c, 1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].status == 413);
    CHECK(h.closed_by_server(*c));
  }
  SECTION("HTTP/2.0 in a request line is 505 and closes") {
    auto c = h.connect();
    CHECK(h.exchange(*c, "GET /healthz HTTP/2.0\r\n\r\n").status == 505);
    CHECK(h.closed_by_server(*c));
  }
  SECTION("an 9 KiB request target is 414 and closes") {
    auto c = h.connect();
    CHECK(h.exchange(*c, "GET /" + std::string(9 * 1024, 'a') + " HTTP/1.1\r\n\r\n").status == 414);
    CHECK(h.closed_by_server(*c));
  }
  SECTION("20 KiB of headers is 431 and closes") {
    auto c = h.connect();
    HttpReply r = h.exchange(
        *c, "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    CHECK(r.status == 431);
    CHECK(h.closed_by_server(*c));
  }
  CHECK(h.registry.index() == index);
  CHECK(h.registry.services().at("payment").size() == 1);
}

TEST_CASE("http_server: Connection: close and HTTP/1.0 close after the response", "[http_server]") {
  Harness h;
  SECTION("HTTP/1.1 with Connection: close; later pipelined requests are ignored") {
    auto c = h.connect();
    h.send(*c, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" + kPutP1);
    auto r = h.receive(*c, 1);
    REQUIRE(r.size() == 1);
    CHECK(r[0].headers["connection"] == "close");
    CHECK(h.closed_by_server(*c));
    CHECK(h.registry.index() == 0);
  }
  SECTION("HTTP/1.0") {
    auto c = h.connect();
    HttpReply r = h.exchange(*c, "GET /healthz HTTP/1.0\r\n\r\n");
    CHECK(r.status == 200);
    CHECK(h.closed_by_server(*c));
  }
  SECTION("HTTP/1.0 with keep-alive") {
    auto c = h.connect();
    HttpReply r = h.exchange(*c, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(r.headers["connection"] == "keep-alive");
    CHECK(h.exchange(*c, kGetHealthz).status == 200);
  }
}

TEST_CASE("http_server: a lingering connection closes after the linger time, not the idle one",
          "[http_server]") {
  // Reads only move the deadline (the timer is not restarted per read). The linger deadline
  // (2 s) is shorter than the idle timer already running (60 s): that one must be restarted,
  // not left to fire a minute later.
  Harness h;
  auto c = h.connect();
  h.send(*c, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  REQUIRE(h.receive(*c, 1).size() == 1);
  REQUIRE(h.closed_by_server(*c));  // half-closed: lingering, reading and discarding
  const auto start = std::chrono::steady_clock::now();
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    h.turn(*c);
    // Accepted while the server lingers; once it has closed, the kernel answers with a reset.
    refused = ::send(c->fd, "x", 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }
  CHECK(refused);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1500));
}

TEST_CASE("http_server: HEAD and chunked bodies and Expect: 100-continue", "[http_server]") {
  Harness h;
  h.visibility.visible = 100;
  auto c = h.connect();
  h.send(*c, "HEAD /healthz HTTP/1.1\r\n\r\n");
  h.turn_until(*c, [&] { return c->inbox.find("\r\n\r\n") != std::string::npos; });
  // Headers as for GET, Content-Length included, and no body after them.
  CHECK_THAT(c->inbox, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(c->inbox, Catch::Contains("Content-Length: 26\r\n"));
  CHECK_THAT(c->inbox, Catch::EndsWith("\r\n\r\n"));
  c->inbox.clear();
  CHECK(h.exchange(*c, kGetHealthz).body.size() == 26);

  auto c2 = h.connect();
  const std::string body = R"({"address":"10.0.0.2","port":1})";
  h.send(*c2,
         "PUT /v1/services/payment/instances/p2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
         "\r\n8\r\n" +
             body.substr(0, 8) + "\r\n");
  h.send(*c2, "17\r\n" + body.substr(8) + "\r\n0\r\n\r\n");  // 0x17: the other 23 bytes
  auto chunked = h.receive(*c2, 1);
  REQUIRE(chunked.size() == 1);
  CHECK(chunked[0].status == 201);

  auto c3 = h.connect();
  h.send(*c3,
         "PUT /v1/services/payment/instances/p3 HTTP/1.1\r\nExpect: 100-continue\r\n"
         "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
  auto interim = h.receive(*c3, 1);
  REQUIRE(interim.size() == 1);
  CHECK(interim[0].status == 100);
  h.send(*c3, body);
  auto final = h.receive(*c3, 1);
  REQUIRE(final.size() == 1);
  CHECK(final[0].status == 201);
}

TEST_CASE("http_server: a client gone before its write is visible harms nothing", "[http_server]") {
  Harness h;
  {
    auto c = h.connect();
    h.send(*c, kPutP1);
    h.turn_until(*c, [&] { return h.registry.index() == 1; });
    linger reset{1, 0};  // close with RST, so the server sees an error, not a half-close
    ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  for (int i = 0; i < 10; ++i) {
    uv_run(&h.loop, UV_RUN_NOWAIT);
  }
  h.visibility.advance(1);  // the reply finds its connection gone
  auto c = h.connect();
  CHECK(h.exchange(*c, kGetHealthz).status == 200);

  // And when the server stops while a response waits.
  h.send(*c, put_request("/v1/services/payment/instances/p2", R"({"address":"::1","port":2})"));
  h.turn_until(*c, [&] { return h.registry.index() == 2; });
  CHECK(h.receive(*c, 0).empty());  // withheld
  h.server->close();
  h.server.reset();
  uv_run(&h.loop, UV_RUN_NOWAIT);
  h.visibility.advance(2);
}

TEST_CASE("http_server: a response larger than the socket takes at once arrives whole, in order",
          "[http_server]") {
  // uv_try_write sends what the socket takes; the rest goes through uv_write. Responses
  // completed while that is pending must queue behind it, not overtake it.
  Harness h;
  h.visibility.visible = 1'000'000;
  // About 5.5 MB: more than the server's send buffer can grow to (tcp_wmem's 4 MiB) plus the
  // client's window, so the first write cannot take it all.
  for (int i = 0; i < 12000; ++i) {
    registry::Instance inst;
    inst.service = "big";
    inst.id = "instance-" + std::to_string(i);
    inst.address = *registry::parse_address("10.0." + std::to_string(i / 256) + "." +
                                            std::to_string(i % 256));
    inst.port = 8080;
    inst.tags = {"a-tag-to-make-the-response-longer", "and-another-one"};
    REQUIRE(std::holds_alternative<registry::Applied>(h.registry.upsert(std::move(inst), 1000)));
  }
  auto c = h.connect(16384);  // a small window: the server's socket fills at once
  h.send(*c, "GET /v1/services/big HTTP/1.1\r\nHost: x\r\n\r\n" + kGetHealthz);
  // Turn the server's loop without reading: its socket buffer fills, the rest waits in libuv.
  for (int i = 0; i < 20; ++i) {
    uv_run(&h.loop, UV_RUN_NOWAIT);
  }
  // A request arriving meanwhile is answered after the pending bytes.
  const std::string put =
      put_request("/v1/services/payment/instances/p1", R"({"address":"10.0.0.1","port":8080})");
  REQUIRE(::send(c->fd, put.data(), put.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(put.size()));
  auto replies = h.receive(*c, 3);
  REQUIRE(replies.size() == 3);
  CHECK(replies[0].status == 200);
  const json big = replies[0].json_body();
  CHECK(replies[0].body.size() > 5'000'000);
  CHECK(big["instances"].size() == 12000);
  CHECK(big["instances"][11999]["id"] == "instance-9999");  // sorted as strings
  CHECK(replies[1].status == 200);
  CHECK(replies[1].json_body()["status"] == "ok");
  CHECK(replies[2].status == 201);
  CHECK(replies[2].json_body()["instance"]["id"] == "p1");
  CHECK(c->inbox.empty());
  CHECK_FALSE(c->eof);
}

TEST_CASE("http_server: start reports a port already in use", "[http_server]") {
  Harness h;
  sockaddr_storage address{};
  uv_ip4_addr("127.0.0.1", h.server->port(), reinterpret_cast<sockaddr_in*>(&address));
  std::string error;
  auto second = api::HttpServer::start(&h.loop, address, h.registry, h.visibility, error);
  CHECK_FALSE(second);
  CHECK_THAT(error, Catch::Contains("address already in use"));
}
