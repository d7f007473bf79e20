// test_health_keepalive.cpp -- HTTP checks keep their connection between runs (HTTP/1.1),
// against loopback servers that count the connections they accept.
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "health/runner.hpp"
#include "test_health_support.hpp"

using namespace srvd;
using health_test::Loop;
using health_test::Server;
using registry::CheckSpec;
using registry::Status;

namespace {

/// A runner with a small interval whose sink records every result.
struct Harness {
  explicit Harness(std::optional<size_t> max_kept = std::nullopt) : max_kept_(max_kept) {}
  Loop loop;
  std::optional<size_t> max_kept_;
  std::vector<registry::CheckResult> seen;
  health::Runner runner{&loop.loop,
                        [this](const std::string&, const std::string&, registry::CheckResult r) {
                          seen.push_back(std::move(r));
                        },
                        7, 512, max_kept_};
  bool wait_results(size_t n, uint64_t ms = 5000) {
    return loop.run_until([&] { return seen.size() >= n; }, ms);
  }
  void check_all(Status status, const std::string& output) {
    for (const auto& r : seen) {
      CHECK(r.status == status);
      CHECK(r.output == output);
    }
  }
};

CheckSpec http(const std::string& url, uint32_t interval_ms = 50, uint32_t timeout_ms = 2000) {
  return {.kind = CheckSpec::Kind::http,
          .target = url,
          .interval_ms = interval_ms,
          .timeout_ms = timeout_ms};
}

}  // namespace

TEST_CASE("health keep-alive: the runs of one check share one connection", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;
  h.runner.start("s", "i", http(server.url()));
  REQUIRE(h.wait_results(5));
  h.check_all(Status::healthy, "HTTP 200");
  CHECK(server.connections == 1);
  CHECK(server.requests.size() >= 5);
  CHECK(h.runner.kept() == 1);
  h.runner.stop("s", "i");
  CHECK(h.runner.kept() == 0);
}

TEST_CASE("health keep-alive: Content-Length and chunked bodies are read to their end",
          "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;
  server.answer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n{\"ok\r\n7\r\n\": true\r\n1\r\n}\r\n0\r\n\r\n";
  h.runner.start("s", "i", http(server.url()));
  REQUIRE(h.wait_results(2));
  // Had any of the body been left unread, it would now stand where the next status line is.
  server.answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\nunavailable";
  size_t n = h.seen.size();
  REQUIRE(h.wait_results(n + 2));
  server.answer = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n";
  n = h.seen.size();
  REQUIRE(h.wait_results(n + 2));
  CHECK(h.seen[0].output == "HTTP 200");
  CHECK(h.seen[n - 1].output == "HTTP 503");
  CHECK(h.seen[n - 1].status == Status::critical);
  CHECK(h.seen.back().output == "HTTP 429");
  CHECK(h.seen.back().status == Status::warning);
  CHECK(server.connections == 1);
}

TEST_CASE("health keep-alive: a server that closed the idle connection still gives healthy",
          "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;

  SECTION("closed while idle: the close is seen at once and the next run connects anew") {
    h.runner.start("s", "i", http(server.url(), 300));
    REQUIRE(h.wait_results(1));
    server.drop_connections();
    // The checker notices the FIN while idle and closes its end, so no dead socket waits.
    REQUIRE(h.loop.run_until([&] { return h.runner.kept() == 0; }, 1000));
    REQUIRE(h.wait_results(3));
    CHECK(server.connections == 2);
  }
  SECTION("closed as the next request came (FIN): that run is retried on a new connection") {
    server.answers_per_connection = 2;
    h.runner.start("s", "i", http(server.url()));
    REQUIRE(h.wait_results(6));
    CHECK(server.hung_up >= 2);
    CHECK(server.connections == server.hung_up + 1);
  }
  SECTION("reset as the next request came (RST): retried too") {
    server.answers_per_connection = 1;
    server.reset = true;
    h.runner.start("s", "i", http(server.url()));
    REQUIRE(h.wait_results(4));
    CHECK(server.hung_up >= 3);
  }
  h.check_all(Status::healthy, "HTTP 200");  // never critical for a closed kept connection
}

TEST_CASE("health keep-alive: the retry is made once, and its failure is the verdict",
          "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;
  h.runner.start("s", "i", http(server.url(), 200));
  REQUIRE(h.wait_results(1));
  CHECK(h.runner.kept() == 1);
  server.hang_up_all = true;  // from now on every request is met by a close
  REQUIRE(h.wait_results(2));
  CHECK(server.hung_up == 2);  // the kept connection, then one new one: no more
  CHECK(server.connections == 2);
  CHECK(h.seen[1].status == Status::critical);
  CHECK(h.seen[1].output == "HTTP: connection closed before a response");
}

TEST_CASE("health keep-alive: what the server does not let us keep is closed", "[health]") {
  auto answer = GENERATE(
      std::string("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"),
      std::string("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
      std::string("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"),
      std::string("HTTP/1.1 200 OK\r\n\r\nbody until the end"),
      std::string("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n") + std::string(100000, 'x'),
      std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") +
          std::string("10000\r\n") + std::string(0x10000, 'x') + "\r\n" + "10\r\n" +
          std::string(16, 'y') + "\r\n0\r\n\r\n");
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;  // the server would keep it; the client must not
  server.answer = answer;
  h.runner.start("s", "i", http(server.url()));
  REQUIRE(h.wait_results(3));
  h.check_all(Status::healthy, "HTTP 200");  // the verdict stands
  CHECK(server.connections >= 3);
  CHECK(h.runner.kept() == 0);
}

TEST_CASE("health keep-alive: the budget of kept connections is respected", "[health]") {
  Harness h(1);
  Server server(&h.loop.loop);
  server.keep_open = true;
  h.runner.start("s", "a", http(server.url()));
  h.runner.start("s", "b", http(server.url()));
  REQUIRE(h.wait_results(10));
  h.check_all(Status::healthy, "HTTP 200");
  CHECK(h.runner.kept() == 1);
  // One check keeps its connection, the other opens one per run.
  CHECK(server.connections >= 4);
  CHECK(static_cast<size_t>(server.connections) <= h.seen.size());
  h.runner.close();
  CHECK(h.runner.kept() == 0);
}

TEST_CASE("health keep-alive: a status line before the timeout is the verdict", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  server.keep_open = true;
  server.answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n\r\nab";
  uint64_t t0 = h.loop.now();
  h.runner.start("s", "i", http(server.url(), 10000, 300));
  REQUIRE(h.wait_results(1));
  CHECK(h.seen[0].status == Status::critical);
  CHECK(h.seen[0].output == "HTTP 503");
  CHECK(h.loop.now() - t0 >= 290);  // it waited for the rest until the deadline
  CHECK(h.runner.kept() == 0);
}

TEST_CASE("health: kept_connection_budget leaves room for the rest of srvd", "[health]") {
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur == RLIM_INFINITY) {
    return;
  }
  uint64_t reserve = std::max<uint64_t>(256, lim.rlim_cur / 4) + 512;
  uint64_t want = lim.rlim_cur > reserve ? lim.rlim_cur - reserve : 0;
  CHECK(health::kept_connection_budget(512) == want);
  if (lim.rlim_cur >= 1024) {  // the usual default: 1,024 - 512 in flight - 256 for the rest
    rlimit small = lim;
    small.rlim_cur = 1024;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &small) == 0);
    CHECK(health::kept_connection_budget(512) == 256);
    CHECK(health::kept_connection_budget(900) == 0);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
}
