// test_dns_server.cpp -- the Server on real loopback sockets: UDP, TCP framing, publishing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "dns/server.hpp"
#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

namespace {

// A blocking client socket with a receive timeout, closed on scope exit.
struct Client {
  int fd;
  Client(int type, uint16_t port) : fd(::socket(AF_INET, type, 0)) {
    REQUIRE(fd >= 0);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_storage to = loopback(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(sockaddr_in)) == 0);
  }
  ~Client() { ::close(fd); }
  void send(const Bytes& b) const {
    REQUIRE(::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(b.size()));
  }
  // Reads exactly n bytes; nullopt on EOF, reset or timeout.
  std::optional<Bytes> read_exactly(size_t n) const {
    Bytes b(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd, b.data() + got, n - got, 0);
      if (r <= 0) {
        return std::nullopt;
      }
      got += static_cast<size_t>(r);
    }
    return b;
  }
  // One length-prefixed DNS message (RFC 1035 §4.2.2).
  std::optional<Reply> read_message() const {
    auto len = read_exactly(2);
    if (!len) {
      return std::nullopt;
    }
    auto body = read_exactly(static_cast<size_t>(((*len)[0] << 8) | (*len)[1]));
    if (!body) {
      return std::nullopt;
    }
    return parse_reply(std::move(*body));
  }
  // True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_server() const {
    uint8_t b;
    ssize_t r = ::recv(fd, &b, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
  }
};

Reply udp_ask(uint16_t port, const Bytes& query) {
  Client c(SOCK_DGRAM, port);
  c.send(query);
  Bytes buf(65535);
  ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
  REQUIRE(n > 0);
  buf.resize(static_cast<size_t>(n));
  return parse_reply(std::move(buf));
}

Bytes framed(const Bytes& q) {
  Bytes b(2 + q.size());
  b[0] = static_cast<uint8_t>(q.size() >> 8);
  b[1] = static_cast<uint8_t>(q.size());
  std::copy(q.begin(), q.end(), b.begin() + 2);
  return b;
}

}  // namespace

TEST_CASE("server: UDP and TCP on one port, pipelining, split reads, publishing", "[dns][server]") {
  std::string error;
  auto server = Server::start({loopback(0), 2}, demo_snapshot(), error);
  REQUIRE(server);
  CHECK(error.empty());
  uint16_t port = server->port();
  REQUIRE(port != 0);
  CHECK(server->applied_index() == demo_snapshot()->index());

  // UDP, several times so both loops (SO_REUSEPORT spreads by source port) are exercised.
  for (int i = 0; i < 8; ++i) {
    Reply r = udp_ask(port, make_query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
    CHECK(ldns_pkt_aa(r.pkt.get()));
    CHECK(answer(r).size() == 3);
    CHECK(additional(r).size() == 3);
  }

  Client tcp(SOCK_STREAM, port);
  // Two pipelined queries in one write: both answered, in order (RFC 7766 §6.2.1.1).
  Bytes two = framed(make_query("payment.svc.internal.", LDNS_RR_TYPE_A, {.id = 1}));
  Bytes second = framed(make_query("nosuch.svc.internal.", LDNS_RR_TYPE_A, {.id = 2}));
  two.insert(two.end(), second.begin(), second.end());
  tcp.send(two);
  auto r1 = tcp.read_message();
  auto r2 = tcp.read_message();
  REQUIRE(r1);
  REQUIRE(r2);
  CHECK(ldns_pkt_id(r1->pkt.get()) == 1);
  CHECK(answer(*r1).size() == 3);
  CHECK(ldns_pkt_id(r2->pkt.get()) == 2);
  CHECK(ldns_pkt_get_rcode(r2->pkt.get()) == LDNS_RCODE_NXDOMAIN);

  // One query split across writes, even inside the length prefix.
  Bytes split = framed(make_query("svc.internal.", LDNS_RR_TYPE_SOA, {.id = 3}));
  tcp.send(Bytes(split.begin(), split.begin() + 1));
  std::this_thread::sleep_for(30ms);
  tcp.send(Bytes(split.begin() + 1, split.begin() + 9));
  std::this_thread::sleep_for(30ms);
  tcp.send(Bytes(split.begin() + 9, split.end()));
  auto r3 = tcp.read_message();
  REQUIRE(r3);
  CHECK(ldns_pkt_id(r3->pkt.get()) == 3);
  CHECK(answer(*r3).size() == 1);

  // Publish: a new instance appears as soon as publish() returns, on both loops.
  auto reg = demo_registry();
  reg.upsert(instance("payment", "a9", "10.0.0.9", 9000), 2);
  auto next = reg.publish();
  REQUIRE(next->index() > demo_snapshot()->index());
  server->publish(next);
  CHECK(server->applied_index() == next->index());
  for (int i = 0; i < 4; ++i) {
    Reply r = udp_ask(port, make_query("a9.payment.svc.internal.", LDNS_RR_TYPE_A));
    CHECK(answer(r) == std::vector<std::string>{"a9.payment.svc.internal. 5 IN A 10.0.0.9"});
  }
  tcp.send(framed(make_query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.id = 4})));
  auto r4 = tcp.read_message();
  REQUIRE(r4);
  CHECK(answer(*r4).size() == 4);

  server->stop();
  server->stop();         // idempotent
  server->publish(next);  // after stop: ignored, not a crash
}

TEST_CASE("server: large TCP answers, half-closed clients", "[dns][server]") {
  srvd::registry::Registry reg{srvd::registry::ZoneConfig{}};
  for (int i = 0; i < 500; ++i) {
    std::string id = "instance-" + std::to_string(i);
    std::string addr = "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance("big", id.c_str(), addr.c_str(), 8080), 1);
  }
  std::string error;
  auto server = Server::start({loopback(0), 1}, reg.publish(), error);
  REQUIRE(server);

  Client tcp(SOCK_STREAM, server->port());
  Bytes many;
  for (uint16_t id = 1; id <= 5; ++id) {
    Bytes f = framed(make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.id = id}));
    many.insert(many.end(), f.begin(), f.end());
  }
  tcp.send(many);
  ::shutdown(tcp.fd, SHUT_WR);  // the answers owed are still delivered (RFC 7766 §6.2.4)
  for (uint16_t id = 1; id <= 5; ++id) {
    auto r = tcp.read_message();
    REQUIRE(r);
    CHECK(ldns_pkt_id(r->pkt.get()) == id);
    CHECK_FALSE(ldns_pkt_tc(r->pkt.get()));
    CHECK(answer(*r).size() == 500);
    CHECK(additional(*r).size() == 500);
  }
  CHECK(tcp.closed_by_server());

  Reply udp = udp_ask(server->port(), make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV));
  CHECK(ldns_pkt_tc(udp.pkt.get()));
  CHECK(udp.wire.size() <= 512);
}

TEST_CASE("server: a client that reads slowly still gets every answer, in order",
          "[dns][server]") {
  srvd::registry::Registry reg{srvd::registry::ZoneConfig{}};
  for (int i = 0; i < 500; ++i) {
    std::string id = "instance-" + std::to_string(i);
    std::string addr = "10.3." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    reg.upsert(instance("big", id.c_str(), addr.c_str(), 8080), 1);
  }
  std::string error;
  auto server = Server::start({loopback(0), 1}, reg.publish(), error);
  REQUIRE(server);

  // ~150 x 28 KB of answers: more than the socket buffers hold, so the server must queue
  // output past uv_try_write, pause reading at its backlog limit, and resume as we read.
  constexpr uint16_t kQueries = 150;
  Client tcp(SOCK_STREAM, server->port());
  Bytes many;
  for (uint16_t id = 1; id <= kQueries; ++id) {
    Bytes f = framed(make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.id = id}));
    many.insert(many.end(), f.begin(), f.end());
  }
  tcp.send(many);
  std::this_thread::sleep_for(200ms);
  for (uint16_t id = 1; id <= kQueries; ++id) {
    auto r = tcp.read_message();
    REQUIRE(r);
    REQUIRE(ldns_pkt_id(r->pkt.get()) == id);
    REQUIRE(ldns_pkt_ancount(r->pkt.get()) == 500);
  }
  tcp.send(framed(make_query("svc.internal.", LDNS_RR_TYPE_SOA, {.id = 999})));
  auto last = tcp.read_message();
  REQUIRE(last);
  CHECK(ldns_pkt_id(last->pkt.get()) == 999);
}

TEST_CASE("server: idle TCP connections time out; connections beyond the cap are closed",
          "[dns][server]") {
  std::string error;
  ServerConfig config{.address = loopback(0), .threads = 1, .loop = {}};
  config.loop.tcp_idle_timeout_ms = 300;
  config.loop.max_tcp_connections = 1;
  auto server = Server::start(config, demo_snapshot(), error);
  REQUIRE(server);

  Client first(SOCK_STREAM, server->port());
  first.send(framed(make_query("payment.svc.internal.", LDNS_RR_TYPE_A)));
  REQUIRE(first.read_message());

  Client second(SOCK_STREAM, server->port());
  CHECK(second.closed_by_server());

  auto start = std::chrono::steady_clock::now();
  CHECK(first.closed_by_server());  // idle: closed after the timeout, before ours (2 s)
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);

  Client third(SOCK_STREAM, server->port());  // the slot is free again
  third.send(framed(make_query("payment.svc.internal.", LDNS_RR_TYPE_A)));
  CHECK(third.read_message());
}

TEST_CASE("server: a port taken for TCP is a clear start error", "[dns][server]") {
  int busy = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_storage any = loopback(0);
  REQUIRE(::bind(busy, reinterpret_cast<sockaddr*>(&any), sizeof(sockaddr_in)) == 0);
  REQUIRE(::listen(busy, 1) == 0);
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  getsockname(busy, reinterpret_cast<sockaddr*>(&bound), &len);
  uint16_t port = ntohs(bound.sin_port);

  std::string error;
  auto server = Server::start({loopback(port), 2}, demo_snapshot(), error);
  CHECK_FALSE(server);
  CHECK(error == "tcp 127.0.0.1:" + std::to_string(port) + ": Address already in use");
  ::close(busy);
}

TEST_CASE("server: stops cleanly with connections open", "[dns][server]") {
  std::string error;
  auto server = Server::start({loopback(0), 3}, demo_snapshot(), error);
  REQUIRE(server);
  Client a(SOCK_STREAM, server->port());
  Client b(SOCK_STREAM, server->port());
  b.send(Bytes{0, 40, 1, 2});  // a partial message pending in the reassembly buffer
  a.send(framed(make_query("payment.svc.internal.", LDNS_RR_TYPE_A)));
  REQUIRE(a.read_message());
  server.reset();  // the destructor stops and joins
  CHECK(a.closed_by_server());
  CHECK(b.closed_by_server());
}

// The answers to one read go out as one batch (tcp_connection.cpp): every query of a long
// pipelined burst is answered once, in order, with the same answer as alone, whether the
// burst arrives in one segment or chopped at arbitrary bytes (inside length prefixes too).
TEST_CASE("server: a pipelined TCP burst, whole or chopped, is answered in order",
          "[dns][server]") {
  std::string error;
  auto server = Server::start({loopback(0), 1}, demo_snapshot(), error);
  REQUIRE(server);
  const char* names[] = {"_payment._tcp.svc.internal.", "payment.svc.internal.",
                         "a1.payment.svc.internal.", "nosuch.svc.internal."};
  ldns_rr_type types[] = {LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_A, LDNS_RR_TYPE_A, LDNS_RR_TYPE_A};
  size_t answers[] = {3, 3, 1, 0};
  constexpr uint16_t kQueries = 400;
  Bytes burst;
  for (uint16_t id = 1; id <= kQueries; ++id) {
    Bytes f = framed(make_query(names[id % 4], types[id % 4], {.id = id}));
    burst.insert(burst.end(), f.begin(), f.end());
  }
  auto check_all = [&](const Client& c) {
    for (uint16_t id = 1; id <= kQueries; ++id) {
      auto r = c.read_message();
      REQUIRE(r);
      REQUIRE(ldns_pkt_id(r->pkt.get()) == id);
      CHECK(ldns_pkt_ancount(r->pkt.get()) == answers[id % 4]);
      CHECK(ldns_pkt_get_rcode(r->pkt.get()) ==
            (id % 4 == 3 ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR));
      CHECK_FALSE(ldns_pkt_tc(r->pkt.get()));
    }
  };

  Client whole(SOCK_STREAM, server->port());
  whole.send(burst);  // one write: one read on the server, one batch of answers
  check_all(whole);

  Client chopped(SOCK_STREAM, server->port());
  int nodelay = 1;
  setsockopt(chopped.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
  for (size_t at = 0; at < burst.size(); at += 7) {  // 7: prime to the 30-odd-byte frames
    size_t n = std::min<size_t>(7, burst.size() - at);
    chopped.send(Bytes(burst.begin() + static_cast<ptrdiff_t>(at),
                       burst.begin() + static_cast<ptrdiff_t>(at + n)));
    if (at % 700 == 0) {
      std::this_thread::sleep_for(1ms);  // let some reads end mid-frame
    }
  }
  check_all(chopped);
}
