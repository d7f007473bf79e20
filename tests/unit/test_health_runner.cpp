// test_health_runner.cpp -- the check runner against real loopback servers on a loop the test
// drives.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "health/runner.hpp"
#include "test_health_support.hpp"

using namespace srvd;
using health_test::Loop;
using health_test::Server;
using registry::CheckSpec;
using registry::Status;

namespace {

struct Seen {
  std::string service, id;
  registry::CheckResult result;
  uint64_t at;
};

/// A runner whose sink records every result with the loop time it arrived.
struct Harness {
  Loop loop;
  std::vector<Seen> seen;
  health::Runner runner{
      &loop.loop,
      [this](const std::string& s, const std::string& i, registry::CheckResult r) {
        seen.push_back({s, i, std::move(r), loop.now()});
      },
      42};
  bool wait_results(size_t n, uint64_t ms = 3000) {
    return loop.run_until([&] { return seen.size() >= n; }, ms);
  }
};

CheckSpec http(const std::string& url, uint32_t interval_ms = 10000, uint32_t timeout_ms = 2000) {
  return {.kind = CheckSpec::Kind::http,
          .target = url,
          .interval_ms = interval_ms,
          .timeout_ms = timeout_ms};
}

CheckSpec tcp(const std::string& host_port, uint32_t interval_ms = 10000) {
  return {.kind = CheckSpec::Kind::tcp, .target = host_port, .interval_ms = interval_ms};
}

}  // namespace

TEST_CASE("health: HTTP 2xx is healthy and the request is a plain GET", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  uint64_t t0 = h.loop.now();
  h.runner.start("payment", "p1", http(server.url("/health?deep=1")));
  REQUIRE(h.wait_results(1));
  CHECK(h.seen[0].service == "payment");
  CHECK(h.seen[0].id == "p1");
  CHECK(h.seen[0].result.status == Status::healthy);
  CHECK(h.seen[0].result.output == "HTTP 200");
  CHECK(h.seen[0].at - t0 < 200);  // the first run is at once, not one interval later
  REQUIRE(server.requests.size() == 1);
  const std::string& req = server.requests[0];
  CHECK(req.rfind("GET /health?deep=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(req.find("\r\nHost: " + server.host_port() + "\r\n") != std::string::npos);
  CHECK(req.find("Connection:") == std::string::npos);  // HTTP/1.1 keeps it by default
  CHECK(req.find("\r\nUser-Agent: srvd-check\r\n") != std::string::npos);

  server.answer = "HTTP/1.0 204 No Content\r\n\r\n";
  h.runner.start("payment", "p2", http(server.url()));
  REQUIRE(h.wait_results(2));
  CHECK(h.seen[1].result.status == Status::healthy);
  CHECK(h.seen[1].result.output == "HTTP 204");
}

TEST_CASE("health: HTTP 429 is a warning, other codes and garbage are critical", "[health]") {
  struct Case {
    std::string answer;
    Status status;
    std::string output;
  };
  auto c = GENERATE(
      Case{"HTTP/1.1 429 Too Many Requests\r\n\r\n", Status::warning, "HTTP 429"},
      Case{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", Status::critical,
           "HTTP 503"},
      Case{"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n", Status::critical, "HTTP 301"},
      Case{"HTTP/1.1 500\r\n\r\n", Status::critical, "HTTP 500"},
      Case{"hello there\r\n", Status::critical, "HTTP: invalid response (no status line)"},
      Case{"SSH-2.0-OpenSSH_9.2", Status::critical, "HTTP: connection closed before a response"},
      Case{std::string(300, 'x'), Status::critical, "HTTP: invalid response (no status line)"});
  Harness h;
  Server server(&h.loop.loop);
  server.answer = c.answer;
  h.runner.start("s", "i", http(server.url()));
  REQUIRE(h.wait_results(1));
  CHECK(h.seen[0].result.status == c.status);
  CHECK(h.seen[0].result.output == c.output);
}

TEST_CASE("health: refused connections and silent servers are critical", "[health]") {
  Harness h;
  int port = health_test::closed_port();
  h.runner.start("s", "http", http("http://127.0.0.1:" + std::to_string(port) + "/"));
  h.runner.start("s", "tcp", tcp("127.0.0.1:" + std::to_string(port)));
  REQUIRE(h.wait_results(2));
  for (const auto& s : h.seen) {
    CHECK(s.result.status == Status::critical);
    CHECK(s.result.output == "connect: connection refused");
  }

  Server slow(&h.loop.loop);
  slow.answer.clear();  // accepts, reads, never answers
  uint64_t t0 = h.loop.now();
  h.runner.start("s", "slow", http(slow.url(), 10000, 300));
  REQUIRE(h.wait_results(3));
  CHECK(h.seen[2].id == "slow");
  CHECK(h.seen[2].result.status == Status::critical);
  CHECK(h.seen[2].result.output == "timeout after 300ms");
  CHECK(h.seen[2].at - t0 >= 290);
  CHECK(h.seen[2].at - t0 < 600);
  REQUIRE(slow.requests.size() == 1);  // it got as far as sending the request

  h.runner.start("s", "slow2", http(slow.url(), 10000, 1000));
  REQUIRE(h.wait_results(4));
  CHECK(h.seen[3].result.output == "timeout after 1s");
}

TEST_CASE("health: TCP check passes when the connection is accepted", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  h.runner.start("db", "d1", tcp(server.host_port()));
  h.runner.start("db", "d2", tcp("localhost:" + std::to_string(server.port)));
  REQUIRE(h.wait_results(2));
  for (const auto& s : h.seen) {
    CHECK(s.result.status == Status::healthy);
    CHECK(s.result.output == "TCP connect ok");
  }
  h.loop.run_for(50);
  CHECK(server.requests.empty());  // a TCP check sends nothing
  CHECK(server.connections == 2);
}

TEST_CASE("health: a target that cannot be checked is critical with the reason", "[health]") {
  Harness h;
  h.runner.start("s", "name", http("http://example.com:80/"));
  h.runner.start("s", "port", tcp("127.0.0.1:99999"));
  REQUIRE(h.wait_results(2));
  std::map<std::string, std::string> out;
  for (const auto& s : h.seen) {
    CHECK(s.result.status == Status::critical);
    out[s.id] = s.result.output;
  }
  CHECK(out["name"] == "invalid check target: host must be an IP address or localhost");
  CHECK(out["port"] == "invalid check target: port must be 1-65535");
}

TEST_CASE("health: later runs follow the interval", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  h.runner.start("s", "i", http(server.url(), 200));
  h.loop.run_for(1050);
  // Runs at 0, then 100-300 ms later, then every 180-220 ms: 5 to 7 runs in 1.05 s.
  CHECK(h.seen.size() >= 4);
  CHECK(h.seen.size() <= 8);
  for (size_t i = 2; i < h.seen.size(); ++i) {
    uint64_t gap = h.seen[i].at - h.seen[i - 1].at;
    CHECK(gap >= 150);
    CHECK(gap <= 300);
  }
}

TEST_CASE("health: stop() abandons a run in flight and reports nothing", "[health]") {
  Harness h;
  Server slow(&h.loop.loop);
  slow.answer.clear();
  h.runner.start("s", "i", http(slow.url(), 100, 5000));
  REQUIRE(h.loop.run_until([&] { return !slow.requests.empty(); }, 2000));
  h.runner.stop("s", "i");
  h.runner.stop("s", "i");        // twice is harmless
  h.runner.stop("s", "unknown");  // and so is an unknown one
  CHECK(h.runner.size() == 0);
  h.loop.run_for(300);
  CHECK(h.seen.empty());
  CHECK(slow.requests.size() == 1);  // no run after stop(), although the interval is 100 ms
  // The probe's connection and the check's timer are closed: the server saw the EOF and
  // dropped its end, and only its listener is left on the loop.
  CHECK(h.loop.active_handles() == 1);
}

TEST_CASE("health: a result that stops its own check ends it cleanly", "[health]") {
  Loop loop;
  Server server(&loop.loop);
  int results = 0;
  health::Runner* self = nullptr;
  health::Runner runner(&loop.loop, [&](const std::string& s, const std::string& i, auto) {
    ++results;
    self->stop(s, i);  // as a registry that deregisters on a result might
  });
  self = &runner;
  runner.start("s", "i", http(server.url(), 50));
  loop.run_for(300);
  CHECK(results == 1);
  CHECK(runner.size() == 0);
}

TEST_CASE("health: restart with a new spec replaces the old check at once", "[health]") {
  Harness h;
  Server a(&h.loop.loop), b(&h.loop.loop);
  a.answer = "HTTP/1.1 503 Service Unavailable\r\n\r\n";
  h.runner.start("s", "i", http(a.url(), 300));
  REQUIRE(h.wait_results(1));
  CHECK(h.seen[0].result.output == "HTTP 503");

  h.runner.start("s", "i", http(a.url(), 300));  // the same spec: nothing changes
  h.loop.run_for(50);
  CHECK(h.seen.size() == 1);

  uint64_t t0 = h.loop.now();
  h.runner.start("s", "i", http(b.url(), 300));
  REQUIRE(h.wait_results(2));
  CHECK(h.seen[1].result.output == "HTTP 200");
  CHECK(h.seen[1].at - t0 < 100);  // at once, not at the old schedule's next run
  size_t a_requests = a.requests.size();
  h.loop.run_for(700);
  CHECK(a.requests.size() == a_requests);  // the old target is no longer checked
  CHECK(b.requests.size() >= 2);
  CHECK(h.runner.size() == 1);

  // A restart while a run is in flight abandons that run: only the new one reports.
  Server slow(&h.loop.loop);
  slow.answer.clear();
  h.runner.start("s", "j", http(slow.url(), 10000, 5000));
  REQUIRE(h.loop.run_until([&] { return !slow.requests.empty(); }, 2000));
  size_t before = h.seen.size();
  h.runner.start("s", "j", tcp(b.host_port(), 10000));
  REQUIRE(
      h.loop.run_until([&] { return h.seen.size() > before && h.seen.back().id == "j"; }, 2000));
  CHECK(h.seen.back().result.output == "TCP connect ok");
}

TEST_CASE("health: checks registered together spread out after their first run", "[health]") {
  Harness h;
  Server server(&h.loop.loop);
  constexpr int kChecks = 40;
  uint64_t t0 = h.loop.now();
  for (int i = 0; i < kChecks; ++i) {
    h.runner.start("s", "i" + std::to_string(i), tcp(server.host_port(), 1000));
  }
  REQUIRE(h.wait_results(2 * kChecks, 4000));
  std::map<std::string, std::vector<uint64_t>> runs;
  for (const auto& s : h.seen) {
    runs[s.id].push_back(s.at - t0);
  }
  std::vector<uint64_t> second;
  for (const auto& [id, at] : runs) {
    CHECK(at[0] < 200);  // every first run at once
    if (at.size() >= 2) {
      second.push_back(at[1]);
    }
  }
  REQUIRE(second.size() >= kChecks / 2);
  std::sort(second.begin(), second.end());
  // Second runs fall anywhere in 500-1500 ms: not together.
  CHECK(second.front() >= 450);
  CHECK(second.back() - second.front() >= 400);
  size_t crowd = 0;  // the most second runs within any 100 ms
  for (size_t i = 0, j = 0; j < second.size(); ++j) {
    while (second[j] - second[i] >= 100) {
      ++i;
    }
    crowd = std::max(crowd, j - i + 1);
  }
  CHECK(crowd <= second.size() / 3);
}

TEST_CASE("health: later runs start on a 10 ms grid, so checks due together run together",
          "[health]") {
  CHECK(health::Runner::on_grain(1004, 1000) == 1000);
  CHECK(health::Runner::on_grain(1005, 1000) == 1010);
  CHECK(health::Runner::on_grain(1003, 99) == 1003);  // short intervals keep the millisecond
  Harness h;
  Server server(&h.loop.loop);
  constexpr int kChecks = 40;
  for (int i = 0; i < kChecks; ++i) {
    h.runner.start("s", "i" + std::to_string(i), tcp(server.host_port(), 500));
  }
  REQUIRE(h.wait_results(2 * kChecks, 4000));
  std::map<std::string, int> runs;
  size_t later = 0, on_grid = 0;  // results of second runs, and those just after a grid line
  for (const auto& s : h.seen) {
    if (++runs[s.id] == 2) {
      ++later;
      on_grid += s.at % health::Runner::kGrainMs < 5;  // a loopback connect takes < 5 ms
    }
  }
  REQUIRE(later >= kChecks / 2);
  CHECK(on_grid * 4 >= later * 3);  // at random times, half would be
}

TEST_CASE("health: at most max_in_flight runs are open; the others wait their turn", "[health]") {
  Loop loop;
  Server slow(&loop.loop);
  slow.answer.clear();
  std::vector<std::string> done;
  health::Runner runner(
      &loop.loop,
      [&](const std::string&, const std::string& id, registry::CheckResult r) {
        CHECK(r.output == "timeout after 200ms");
        done.push_back(id);
      },
      1, 2);
  for (int i = 0; i < 6; ++i) {
    runner.start("s", "i" + std::to_string(i), http(slow.url(), 60000, 200));
  }
  runner.stop("s", "i5");  // stopped while queued: never runs
  size_t most = 0;
  REQUIRE(loop.run_until(
      [&] {
        most = std::max(most, runner.in_flight());
        return done.size() >= 5;
      },
      3000));
  CHECK(most == 2);
  CHECK(slow.connections <= 5);
  CHECK(done == std::vector<std::string>{"i0", "i1", "i2", "i3", "i4"});  // in order
  loop.run_for(300);
  CHECK(done.size() == 5);
  CHECK(runner.in_flight() == 0);
}
