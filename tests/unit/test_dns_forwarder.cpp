// test_dns_forwarder.cpp -- --upstream: a Server forwarding to a fake upstream the test drives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "dns/server.hpp"
#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using Bytes = std::vector<uint8_t>;

namespace {

// A UDP socket on 127.0.0.1:0 with a receive timeout, closed on scope exit.
struct Udp {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  Udp() {
    REQUIRE(fd >= 0);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_storage any = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(sockaddr_in)) == 0);
  }
  ~Udp() { ::close(fd); }
  uint16_t port() const {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  void send_to(const Bytes& b, const sockaddr_storage& to) const {
    REQUIRE(::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                     sizeof(sockaddr_in)) == static_cast<ssize_t>(b.size()));
  }
  std::optional<Bytes> recv_from(sockaddr_storage* from = nullptr) const {
    Bytes b(65535);
    sockaddr_storage src{};
    socklen_t len = sizeof src;
    ssize_t n = ::recvfrom(fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&src), &len);
    if (n <= 0) {
      return std::nullopt;
    }
    if (from != nullptr) {
      *from = src;
    }
    b.resize(static_cast<size_t>(n));
    return b;
  }
};

// The upstream's answer to `query`: same ID and question unless told otherwise, one A record.
Bytes upstream_answer(const Bytes& query, const char* address, int id_delta = 0,
                      const char* other_name = nullptr) {
  Bytes q = other_name != nullptr ? make_query(other_name, LDNS_RR_TYPE_A) : query;
  ldns_pkt* raw = nullptr;
  REQUIRE(ldns_wire2pkt(&raw, q.data(), q.size()) == LDNS_STATUS_OK);
  PktPtr pkt(raw);
  ldns_pkt_set_id(pkt.get(), static_cast<uint16_t>(get16(query.data()) + id_delta));
  ldns_pkt_set_qr(pkt.get(), true);
  ldns_rr* rr = nullptr;
  std::string text = std::string("www.example.org. 60 IN A ") + address;
  REQUIRE(ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) == LDNS_STATUS_OK);
  ldns_pkt_push_rr(pkt.get(), LDNS_SECTION_ANSWER, rr);  // takes ownership
  uint8_t* wire = nullptr;
  size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt.get(), &size) == LDNS_STATUS_OK);
  WirePtr owned(wire);
  return {wire, wire + size};
}

}  // namespace

TEST_CASE("forwarder: only the upstream's own answer is relayed, with the client's ID and RA",
          "[dns][forwarder]") {
  Udp upstream;
  Udp stranger;
  ServerConfig config{loopback(0), 1, {}};
  config.loop.upstreams = {loopback(upstream.port())};
  config.loop.upstream_timeout_ms = 2000;
  std::string error;
  auto server = Server::start(config, demo_snapshot(), error);
  REQUIRE(server);

  Udp client;
  sockaddr_storage srvd_addr = loopback(server->port());
  client.send_to(make_query("WWW.Example.ORG.", LDNS_RR_TYPE_A, {.id = 0x4242}), srvd_addr);
  sockaddr_storage from{};
  auto forwarded = upstream.recv_from(&from);
  REQUIRE(forwarded);
  Reply fq = parse_reply(*forwarded);
  CHECK(question(fq) == std::vector<std::string>{"WWW.Example.ORG. IN A"});

  // Spoofing attempts (RFC 5452 §9.1): another source, another ID, another question.
  stranger.send_to(upstream_answer(*forwarded, "192.0.2.1"), from);
  upstream.send_to(upstream_answer(*forwarded, "192.0.2.2", 1), from);
  upstream.send_to(upstream_answer(*forwarded, "192.0.2.3", 0, "evil.example.org."), from);
  upstream.send_to(upstream_answer(*forwarded, "192.0.2.4"), from);

  auto got = client.recv_from();
  REQUIRE(got);
  Reply r = parse_reply(*got);
  CHECK(ldns_pkt_id(r.pkt.get()) == 0x4242);
  CHECK(ldns_pkt_ra(r.pkt.get()));
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
  CHECK(question(r) == std::vector<std::string>{"WWW.Example.ORG. IN A"});
  // The owner points at the question (ldns compresses it), so it reads in the client's case.
  CHECK(answer(r) == std::vector<std::string>{"WWW.Example.ORG. 60 IN A 192.0.2.4"});

  // Names inside our zones are still ours: AA, no RA, nothing sent upstream.
  client.send_to(make_query("svc.internal.", LDNS_RR_TYPE_SOA), srvd_addr);
  auto own = client.recv_from();
  REQUIRE(own);
  Reply o = parse_reply(*own);
  CHECK(ldns_pkt_aa(o.pkt.get()));
  CHECK_FALSE(ldns_pkt_ra(o.pkt.get()));
  server->stop();
}

TEST_CASE("forwarder: an upstream that never answers gives SERVFAIL", "[dns][forwarder]") {
  Udp silent;
  ServerConfig config{loopback(0), 1, {}};
  config.loop.upstreams = {loopback(silent.port())};
  config.loop.upstream_timeout_ms = 200;
  std::string error;
  auto server = Server::start(config, demo_snapshot(), error);
  REQUIRE(server);

  Udp client;
  client.send_to(make_query("www.example.org.", LDNS_RR_TYPE_AAAA, {.id = 7, .edns_payload = 1232}),
                 loopback(server->port()));
  REQUIRE(silent.recv_from());  // asked, never answered
  auto got = client.recv_from();
  REQUIRE(got);
  Reply r = parse_reply(*got);
  CHECK(ldns_pkt_id(r.pkt.get()) == 7);
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_SERVFAIL);
  CHECK(ldns_pkt_ra(r.pkt.get()));
  CHECK(ldns_pkt_rd(r.pkt.get()));
  CHECK(question(r) == std::vector<std::string>{"www.example.org. IN AAAA"});
  CHECK(ldns_pkt_edns(r.pkt.get()));  // RFC 6891 §6.1.1: OPT in, OPT out
  server->stop();
}
