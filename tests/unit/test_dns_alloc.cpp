// test_dns_alloc.cpp -- the query path allocates nothing (STYLE §11), counted via operator new.
// GCC 12 inlines the replacement operator delete below into library code and then reports
// its free() as mismatched with operator new: a false positive, as both are ours here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include "dns/listen_socket.hpp"
#include "dns/udp_listener.hpp"
#include "dns/zone_loader.hpp"
#include "test_dns_support.hpp"

// Replacing the global operator new applies to the whole test binary; it only counts while
// `g_counting` is set on the calling thread, so other tests are unaffected. Every
// non-aligned form is replaced, so no new/delete pair mixes ours with the runtime's
// (ASan checks that); the aligned forms stay the runtime's, pairs of their own.
namespace {
thread_local bool g_counting = false;
std::atomic<size_t> g_allocations{0};

void* counted_malloc(size_t size) noexcept {
  if (g_counting) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(size_t size) {
  if (void* p = counted_malloc(size)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return counted_malloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace srvd::dns;
using namespace srvd::dns::test;

TEST_CASE("alloc: answering a query allocates nothing", "[dns][alloc]") {
  auto snap = demo_snapshot();
  std::vector<std::vector<uint8_t>> queries = {
      make_query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 1232}),
      make_query("payment.svc.internal.", LDNS_RR_TYPE_A),
      make_query("Payment.SVC.internal.", LDNS_RR_TYPE_AAAA),
      make_query("a1.payment.svc.internal.", LDNS_RR_TYPE_TXT),
      make_query("svc.internal.", LDNS_RR_TYPE_NS),
      make_query("svc.internal.", LDNS_RR_TYPE_SOA),
      make_query("nosuch.svc.internal.", LDNS_RR_TYPE_A),
      make_query("_tcp.svc.internal.", LDNS_RR_TYPE_SRV),
      make_query("example.com.", LDNS_RR_TYPE_A),
      make_query("payment.svc.internal.", LDNS_RR_TYPE_A,
                 {.edns_payload = 1232, .edns_version = 1}),
  };
  std::vector<uint8_t> bad = {0xAB, 0xCD, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0};  // FORMERR
  std::vector<uint8_t> out(kMaxMessageSize);
  QueryContext ctx;

  size_t total = 0;
  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 10; ++round) {
    for (const auto& q : queries) {
      total += handle_query(*snap, q, out, Transport::udp, ctx);
      total += handle_query(*snap, q, out, Transport::tcp, ctx);
    }
    total += handle_query(*snap, bad, out, Transport::udp, ctx);
  }
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  CHECK(total > 0);
  CHECK(ctx.counters.queries == 210);
}

TEST_CASE("alloc: DNS-SD names and weighted truncation allocate nothing", "[dns][alloc]") {
  srvd::registry::Registry reg{srvd::registry::ZoneConfig{}};
  for (int i = 0; i < 200; ++i) {
    std::string id = "n" + std::to_string(i);
    reg.upsert(instance("big", id.c_str(), "10.9.0.1", 80, srvd::registry::Protocol::tcp,
                        static_cast<uint16_t>(i % 3), static_cast<uint16_t>(i % 7)),
               1);
  }
  auto big = reg.publish();
  auto snap = demo_snapshot();
  std::vector<std::vector<uint8_t>> demo = {
      make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR),
      make_query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_PTR),
      make_query("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV),
      make_query("a1._payment._tcp.svc.internal.", LDNS_RR_TYPE_TXT),
      make_query("_dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR),
      make_query("zz._payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV),
  };
  std::vector<std::vector<uint8_t>> large = {
      make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV),  // cut: weighted selection
      make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 1232}),
      make_query("_big._tcp.svc.internal.", LDNS_RR_TYPE_PTR),
      make_query("_services._dns-sd._udp.svc.internal.", LDNS_RR_TYPE_PTR),
  };
  std::vector<uint8_t> out(kMaxMessageSize);
  QueryContext ctx;

  size_t total = 0;
  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 10; ++round) {
    for (const auto& q : demo) {
      total += handle_query(*snap, q, out, Transport::udp, ctx);
      total += handle_query(*snap, q, out, Transport::tcp, ctx);
    }
    for (const auto& q : large) {
      total += handle_query(*big, q, out, Transport::udp, ctx);
      total += handle_query(*big, q, out, Transport::tcp, ctx);
    }
  }
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  CHECK(total > 0);
  CHECK(ctx.counters.truncated >= 20);
}

TEST_CASE("alloc: static zones and the forwarding hook allocate nothing", "[dns][alloc]") {
  char path[] = "/tmp/srvd-alloc-zone.XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  std::string text =
      "$ORIGIN example.test.\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 192.0.2.1\n"
      "www IN A 192.0.2.2\nalias IN CNAME www\nsub IN NS ns.sub\nns.sub IN A 192.0.2.3\n"
      "www.svc.internal. IN A 10.1.1.1\n";
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  auto zones = load_zone_files({path}, "svc.internal").zones;
  ::unlink(path);
  srvd::registry::Registry reg = demo_registry();
  reg.set_static_zones(zones);
  auto snap = reg.publish();
  std::vector<std::vector<uint8_t>> queries = {
      make_query("www.example.test.", LDNS_RR_TYPE_A),
      make_query("alias.example.test.", LDNS_RR_TYPE_A),
      make_query("x.sub.example.test.", LDNS_RR_TYPE_A),
      make_query("nosuch.example.test.", LDNS_RR_TYPE_A),
      make_query("example.test.", LDNS_RR_TYPE_NS),
      make_query("www.svc.internal.", LDNS_RR_TYPE_A),
      make_query("example.org.", LDNS_RR_TYPE_A),
  };
  std::vector<uint8_t> out(kMaxMessageSize);
  QueryContext ctx;
  size_t total = 0;
  g_allocations = 0;
  g_counting = true;
  for (int round = 0; round < 10; ++round) {
    for (const auto& q : queries) {
      total += handle_query(*snap, q, out, Transport::udp, ctx);
    }
    ctx.forwarding = true;
    total += handle_query(*snap, queries.back(), out, Transport::udp, ctx);
    ctx.forwarding = false;
  }
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  CHECK(total > 0);
  CHECK(ctx.forward);
}

TEST_CASE("alloc: a UDP batch, received, answered and sent, allocates nothing", "[dns][alloc]") {
  SnapshotBoard board(demo_snapshot(), 1);
  auto state = std::make_unique<LoopState>(LoopOptions{}, board, 0);
  REQUIRE(uv_loop_init(&state->loop) == 0);
  uint16_t port = 0;
  std::string error;
  auto pairs = bind_socket_pairs(loopback(0), 1, port, error);
  REQUIRE(pairs.size() == 1);
  auto udp = std::make_unique<UdpListener>(*state);
  REQUIRE(udp->open(pairs[0].udp.release()) == 0);
  int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  REQUIRE(client >= 0);
  sockaddr_storage to = loopback(port);
  auto send_all = [&](int count) {
    for (int i = 0; i < count; ++i) {
      auto q = make_query(i % 2 != 0 ? "_payment._tcp.svc.internal." : "nosuch.svc.internal.",
                          i % 2 != 0 ? LDNS_RR_TYPE_SRV : LDNS_RR_TYPE_A,
                          {.id = static_cast<uint16_t>(i), .edns_payload = 1232});
      REQUIRE(::sendto(client, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                       sizeof(sockaddr_in)) == static_cast<ssize_t>(q.size()));
    }
  };
  auto received = [&] {
    std::array<uint8_t, 2048> buf{};
    int n = 0;
    while (::recv(client, buf.data(), buf.size(), 0) > 0) {
      ++n;
    }
    return n;
  };
  send_all(1);  // warm-up: libuv's first poll registers the descriptor with epoll
  uv_run(&state->loop, UV_RUN_NOWAIT);
  CHECK(received() == 1);

  constexpr int kQueued = static_cast<int>(UdpListener::kBatch) + 8;  // a full batch and a part
  send_all(kQueued);  // loopback: queued at the listener when sendto returns
  g_allocations = 0;
  g_counting = true;
  uv_run(&state->loop, UV_RUN_NOWAIT);
  g_counting = false;
  CHECK(g_allocations.load() == 0);
  CHECK(state->ctx.counters.queries == kQueued + 1);
  CHECK(received() == kQueued);

  ::close(client);
  udp->close();
  uv_run(&state->loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&state->loop) == 0);
}
