// test_api_routes_health.cpp -- issue 4 routes: heartbeat, drain fields, long-polls.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "api/routes.hpp"

using nlohmann::json;
using srvd::api::Request;
using srvd::api::Response;
using srvd::api::RouteContext;
using srvd::api::Visibility;

namespace {

/// A Visibility advanced by hand; long-polls are kept apart so the test can time them out.
struct FakeVisibility : Visibility {
  struct Wait {
    uint64_t index;
    uint64_t timeout_ms;  ///< 0: a plain when_visible
    std::function<void()> then;
  };
  uint64_t visible = 0;
  std::vector<Wait> waiting;

  void when_visible(uint64_t index, std::function<void()> then) override {
    when_visible_within(index, 0, std::move(then));
  }
  void when_visible_within(uint64_t index, uint64_t timeout_ms,
                           std::function<void()> then) override {
    if (index <= visible) {
      then();
    } else {
      waiting.push_back({index, timeout_ms, std::move(then)});
    }
  }
  void advance(uint64_t to) {
    visible = to;
    release([&](const Wait& w) { return w.index <= visible; });
  }
  void time_out() {
    release([](const Wait& w) { return w.timeout_ms != 0; });
  }
  template <class Pred>
  void release(Pred ready) {
    auto pending = std::move(waiting);
    waiting.clear();
    for (auto& w : pending) {
      if (ready(w)) {
        w.then();
      } else {
        waiting.push_back(std::move(w));
      }
    }
  }
};

constexpr int64_t kNow = 1795888800123;  // 2026-11-28T18:00:00.123Z

struct Fixture {
  srvd::registry::Registry registry{srvd::registry::ZoneConfig{
      .domain = "svc.internal", .ttl = 9, .negative_ttl = 5, .ns_addresses = {}}};
  FakeVisibility visibility;
  int64_t now = kNow;
  RouteContext ctx{registry, visibility, [this] { return now; }};
  std::optional<Response> reply;

  std::optional<Response> send(std::string method, std::string path, std::string body = {},
                               std::string query = {}) {
    reply.reset();
    Request req{std::move(method), std::move(path), std::move(query), std::move(body)};
    srvd::api::route(req, ctx, [this](Response r) {
      REQUIRE_FALSE(reply);  // exactly once
      reply = std::move(r);
    });
    return reply;
  }
  Response call(std::string method, std::string path, std::string body = {},
                std::string query = {}) {
    send(std::move(method), std::move(path), std::move(body), std::move(query));
    visibility.advance(registry.index());
    REQUIRE(reply);
    return *reply;
  }
};

json body_of(const Response& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("routes: heartbeat renews a TTL instance; unknown is 404, no ttl 400", "[routes]") {
  Fixture f;
  Response r = f.call("PUT", "/v1/services/web/instances/a1",
                      R"({"address":"10.0.0.1","port":80,"ttl":"10s","deregister_after":"1m"})");
  CHECK(r.status == 201);
  CHECK(body_of(r)["instance"]["ttl"] == "10s");
  CHECK(body_of(r)["instance"]["deregister_after"] == "1m");
  CHECK(body_of(r)["instance"]["heartbeat_at"] == "2026-11-28T18:00:00.123Z");

  f.now += 20'000;
  f.registry.expire(f.now);
  r = f.call("GET", "/v1/services/web");
  CHECK(body_of(r)["instances"][0]["status"] == "critical");
  CHECK(body_of(r)["instances"][0]["check_output"] == "TTL expired");

  f.now += 1'000;
  r = f.call("PUT", "/v1/services/web/instances/a1/heartbeat");
  CHECK(r.status == 200);
  CHECK(body_of(r)["instance"]["status"] == "healthy");
  CHECK(body_of(r)["instance"]["heartbeat_at"] == "2026-11-28T18:00:21.123Z");
  CHECK(body_of(r)["instance"]["status_changed_at"] == "2026-11-28T18:00:21.123Z");

  r = f.call("PUT", "/v1/services/web/instances/nope/heartbeat");
  CHECK(r.status == 404);
  CHECK_THAT(body_of(r)["error"].get<std::string>(), Catch::Contains("register it again"));
  f.call("PUT", "/v1/services/web/instances/p1", R"({"address":"10.0.0.2","port":80})");
  CHECK(f.call("PUT", "/v1/services/web/instances/p1/heartbeat").status == 400);
  CHECK(f.call("GET", "/v1/services/web/instances/p1/heartbeat").status == 405);
}

TEST_CASE("routes: maintenance and DELETE answer with drain_seconds and drain_until", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/web/instances/a1", R"({"address":"10.0.0.1","port":80})");
  Response r = f.call("PUT", "/v1/services/web/instances/a1/status", R"({"status":"maintenance"})");
  CHECK(body_of(r)["drain_seconds"] == 9);
  CHECK(body_of(r)["drain_until"] == "2026-11-28T18:00:09.123Z");
  r = f.call("PUT", "/v1/services/web/instances/a1/status", R"({"status":"healthy"})");
  CHECK_FALSE(body_of(r).contains("drain_seconds"));
  f.now += 1'000;
  r = f.call("DELETE", "/v1/services/web/instances/a1");
  CHECK(body_of(r)["drain_seconds"] == 9);
  CHECK(body_of(r)["drain_until"] == "2026-11-28T18:00:10.123Z");
  CHECK(body_of(r)["deleted"]["id"] == "a1");
}

TEST_CASE("routes: a long-poll waits for the next index, or its wait", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/web/instances/a1", R"({"address":"10.0.0.1","port":80})");
  REQUIRE(f.registry.index() == 1);

  // Index already passed: answered at once with the current state.
  auto now = f.send("GET", "/v1/services/web", {}, "index=0&wait=30s");
  REQUIRE(now);
  CHECK(now->index == 1);

  // Nothing new: it waits, for index 2, with the wait asked for.
  CHECK_FALSE(f.send("GET", "/v1/services/web", {}, "index=1&wait=30s"));
  REQUIRE(f.visibility.waiting.size() == 1);
  CHECK(f.visibility.waiting[0].index == 2);
  CHECK(f.visibility.waiting[0].timeout_ms == 30'000);
  // A change that DNS does not serve yet does not answer it...
  f.registry.upsert(
      [] {
        srvd::registry::Instance i;
        i.service = "web";
        i.id = "a2";
        i.address = *srvd::registry::parse_address("10.0.0.2");
        i.port = 80;
        return i;
      }(),
      kNow);
  CHECK_FALSE(f.reply);
  // ...and once it does, the answer carries the new state.
  f.visibility.advance(2);
  REQUIRE(f.reply);
  CHECK(f.reply->index == 2);
  CHECK(body_of(*f.reply)["instances"].size() == 2);

  // At the wait it answers with the unchanged state; the wait is capped at 10 minutes and
  // defaults to 5; an index from the future counts as the current one.
  CHECK_FALSE(f.send("GET", "/v1/services", {}, "index=99&wait=1h"));
  CHECK(f.visibility.waiting.back().index == 3);
  CHECK(f.visibility.waiting.back().timeout_ms == 600'000);
  f.visibility.time_out();
  REQUIRE(f.reply);
  CHECK(f.reply->index == 2);
  CHECK(body_of(*f.reply)["services"][0]["name"] == "web");
  CHECK_FALSE(f.send("GET", "/v1/services/web", {}, "index=2"));
  CHECK(f.visibility.waiting.back().timeout_ms == 300'000);
  f.visibility.time_out();

  CHECK(f.call("GET", "/v1/services/web", {}, "index=x").status == 400);
  CHECK(f.call("GET", "/v1/services/web", {}, "index=1&wait=soon").status == 400);
  CHECK(f.call("GET", "/v1/services/web", {}, "wait=1s").status == 200);  // no index: plain read
}
