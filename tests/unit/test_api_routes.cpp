// test_api_routes.cpp -- the route table as a pure function over a real Registry.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "api/routes.hpp"
#include "test_api_support.hpp"

using nlohmann::json;
using srvd::api::Request;
using srvd::api::Response;
using srvd::api::RouteContext;

namespace {

constexpr int64_t kNow = 1795888800123;  // 2026-11-28T18:00:00.123Z

struct Fixture {
  srvd::registry::Registry registry{srvd::registry::ZoneConfig{}};
  srvd::api::test::FakeVisibility visibility;
  RouteContext ctx{registry, visibility, [] { return kNow; }};

  /// Routes the request and, like DNS catching up at once, makes every index visible.
  Response call(std::string method, std::string path, std::string body = {},
                std::string query = {}) {
    send(std::move(method), std::move(path), std::move(body), std::move(query));
    visibility.advance(registry.index());
    REQUIRE(reply);
    return *reply;
  }
  /// Routes the request and returns what was replied so far (nothing while a write waits).
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
  std::optional<Response> reply;
};

json body_of(const Response& r) { return json::parse(r.body); }

const char* kPaymentP1 = R"({"address":"10.0.0.1","port":8080})";

}  // namespace

TEST_CASE("routes: PUT registers an instance and returns it with 201", "[routes]") {
  Fixture f;
  Response r = f.call("PUT", "/v1/services/payment/instances/p1",
                      R"({"address":"10.0.0.1","port":8080,"protocol":"udp","priority":2,
                          "weight":30,"tags":["blue"],"meta":{"ver":"1.2"}})");
  CHECK(r.status == 201);
  CHECK(r.index == 1);
  const json b = body_of(r);
  CHECK(b["index"] == 1);
  CHECK(b["instance"] == json::parse(R"({"service":"payment","id":"p1","address":"10.0.0.1",
      "port":8080,"protocol":"udp","priority":2,"weight":30,"tags":["blue"],"meta":{"ver":"1.2"},
      "status":"healthy","status_reason":"","registered_at":"2026-11-28T18:00:00.123Z",
      "updated_at":"2026-11-28T18:00:00.123Z","create_index":1,"modify_index":1,
      "source":"api","check_output":"","checked_at":null,
      "status_changed_at":"2026-11-28T18:00:00.123Z","heartbeat_at":null})"));
  REQUIRE(f.registry.find("payment") != nullptr);
}

TEST_CASE("routes: defaults and lowercased names and an idempotent re-PUT with 200", "[routes]") {
  Fixture f;
  Response created = f.call("PUT", "/v1/services/Payment/instances/P1",
                            R"({"address":"2001:DB8::1","port":1,"service":"PAYMENT","id":"p1"})");
  REQUIRE(created.status == 201);
  const json inst = body_of(created)["instance"];
  CHECK(inst["service"] == "payment");
  CHECK(inst["id"] == "p1");
  CHECK(inst["address"] == "2001:db8::1");
  CHECK(inst["protocol"] == "tcp");
  CHECK(inst["priority"] == 1);
  CHECK(inst["weight"] == 1);
  CHECK(inst["tags"] == json::array());
  CHECK(inst["meta"] == json::object());

  Response same =
      f.call("PUT", "/v1/services/payment/instances/p1", R"({"address":"2001:db8::1","port":1})");
  CHECK(same.status == 200);
  CHECK(f.registry.index() == 1);

  Response moved =
      f.call("PUT", "/v1/services/payment/instances/p1", R"({"address":"2001:db8::1","port":2})");
  CHECK(moved.status == 200);
  CHECK(body_of(moved)["instance"]["modify_index"] == 2);
  CHECK(body_of(moved)["instance"]["create_index"] == 1);
}

TEST_CASE("routes: a write's response waits until DNS serves its index", "[routes]") {
  Fixture f;
  CHECK_FALSE(f.send("PUT", "/v1/services/payment/instances/p1", kPaymentP1));
  CHECK(f.registry.index() == 1);  // applied at once, answered later
  REQUIRE(f.visibility.asked == std::vector<uint64_t>{1});
  f.visibility.advance(1);
  REQUIRE(f.reply);
  CHECK(f.reply->status == 201);

  SECTION("DELETE waits too") {
    CHECK_FALSE(f.send("DELETE", "/v1/services/payment/instances/p1"));
    f.visibility.advance(2);
    REQUIRE(f.reply);
    CHECK(f.reply->status == 200);
  }
  SECTION("status change waits too") {
    CHECK_FALSE(
        f.send("PUT", "/v1/services/payment/instances/p1/status", R"({"status":"maintenance"})"));
    f.visibility.advance(2);
    REQUIRE(f.reply);
    CHECK(f.reply->status == 200);
  }
  SECTION("an unchanged re-PUT still waits for the instance's last change") {
    f.visibility.visible = 0;
    CHECK_FALSE(f.send("PUT", "/v1/services/payment/instances/p1", kPaymentP1));
    CHECK(f.visibility.asked.back() == 1);
  }
  SECTION("reads answer at once") {
    f.visibility.visible = 0;
    CHECK(f.send("GET", "/v1/services/payment"));
    CHECK(f.send("GET", "/healthz"));
  }
}

TEST_CASE("routes: bad register bodies get 400 naming the problem and change nothing", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  const std::string before = f.call("GET", "/v1/services").body;

  struct Case {
    std::string path, body, says;
  };
  const std::string p1 = "/v1/services/payment/instances/p1";
  const std::vector<Case> cases = {
      {p1, "", "invalid JSON"},
      {p1, "{\"address\":", "invalid JSON"},
      {p1, "[1,2]", "must be a JSON object"},
      {p1, R"({"port":80})", "missing field \"address\""},
      {p1, R"({"address":"10.0.0.1"})", "missing field \"port\""},
      {p1, R"({"address":"10.0.0.1","port":0})", "\"port\""},
      {p1, R"({"address":"10.0.0.1","port":65536})", "\"port\""},
      {p1, R"({"address":"10.0.0.1","port":-1})", "\"port\""},
      {p1, R"({"address":"10.0.0.1","port":80.5})", "\"port\""},
      {p1, R"({"address":"10.0.0.1","port":"80"})", "\"port\""},
      {p1, R"({"address":"10.0.0.300","port":80})", "\"address\""},
      {p1, R"({"address":"[::1]","port":80})", "\"address\""},
      {p1, R"({"address":7,"port":80})", "\"address\""},
      {p1, R"({"address":"10.0.0.1","port":80,"protocol":"sctp"})", "\"protocol\""},
      {p1, R"({"address":"10.0.0.1","port":80,"priority":65536})", "\"priority\""},
      {p1, R"({"address":"10.0.0.1","port":80,"weight":"1"})", "\"weight\""},
      {p1, R"({"address":"10.0.0.1","port":80,"tags":"a"})", "\"tags\""},
      {p1, R"({"address":"10.0.0.1","port":80,"tags":[1]})", "\"tags\""},
      {p1, R"({"address":"10.0.0.1","port":80,"meta":{"a":1}})", "\"meta\""},
      {p1, R"({"address":"10.0.0.1","port":80,"meta":[]})", "\"meta\""},
      {p1, R"({"address":"10.0.0.1","port":80,"colour":"red"})", "unknown field \"colour\""},
      {p1, R"({"address":"10.0.0.1","port":80,"service":"billing"})", "\"service\""},
      {p1, R"({"address":"10.0.0.1","port":80,"id":"p2"})", "\"id\""},
      {p1, R"({"address":"10.0.0.1","port":80,"tags":[""]})", "tag"},  // registry's rule
      {"/v1/services/pay_ment/instances/p1", kPaymentP1, "invalid service name"},
      {"/v1/services/payment/instances/-p1", kPaymentP1, "invalid instance id"},
  };
  for (const auto& c : cases) {
    INFO(c.path << " " << c.body);
    Response r = f.call("PUT", c.path, c.body);
    CHECK(r.status == 400);
    const std::string error = body_of(r).at("error");
    CHECK_THAT(error, Catch::Contains(c.says));
  }
  CHECK(f.registry.index() == 1);
  CHECK(f.call("GET", "/v1/services").body == before);
}

TEST_CASE("routes: DELETE returns the removed instance and unknown is 404", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  Response r = f.call("DELETE", "/v1/services/PAYMENT/instances/p1");
  CHECK(r.status == 200);
  CHECK(body_of(r)["index"] == 2);
  CHECK(body_of(r)["deleted"]["id"] == "p1");
  CHECK(f.registry.find("payment") == nullptr);

  Response again = f.call("DELETE", "/v1/services/payment/instances/p1");
  CHECK(again.status == 404);
  CHECK(body_of(again).contains("error"));
  CHECK(f.registry.index() == 2);
}

TEST_CASE("routes: status override and back with 400 for a bad status and 404 for no instance",
          "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  const std::string path = "/v1/services/payment/instances/p1/status";

  Response down = f.call("PUT", path, R"({"status":"maintenance","reason":"deploy"})");
  CHECK(down.status == 200);
  CHECK(body_of(down)["instance"]["status"] == "maintenance");
  CHECK(body_of(down)["instance"]["status_reason"] == "deploy");
  CHECK(body_of(down)["index"] == 2);

  Response up = f.call("PUT", path, R"({"status":"healthy"})");
  CHECK(body_of(up)["instance"]["status"] == "healthy");
  CHECK(f.registry.index() == 3);

  CHECK(f.call("PUT", path, R"({"status":"sleeping"})").status == 400);
  CHECK(f.call("PUT", path, R"({"status":1})").status == 400);
  CHECK(f.call("PUT", path, R"({"reason":"x"})").status == 400);
  CHECK(f.call("PUT", path, R"({"status":"healthy","why":"x"})").status == 400);
  CHECK(f.call("PUT", path, "nope").status == 400);
  CHECK(
      f.call("PUT", "/v1/services/payment/instances/p9/status", R"({"status":"healthy"})").status ==
      404);
  CHECK(f.registry.index() == 3);
}

TEST_CASE("routes: GET /v1/services lists services sorted by name", "[routes]") {
  Fixture f;
  CHECK(body_of(f.call("GET", "/v1/services")) == json::parse(R"({"index":0,"services":[]})"));
  f.call("PUT", "/v1/services/zeta/instances/z1", kPaymentP1);
  f.call("PUT", "/v1/services/alpha/instances/a2", kPaymentP1);
  f.call("PUT", "/v1/services/alpha/instances/a1", kPaymentP1);
  Response r = f.call("GET", "/v1/services");
  CHECK(r.status == 200);
  CHECK(r.index == 3);
  const json b = body_of(r);
  CHECK(b["index"] == 3);
  REQUIRE(b["services"].size() == 2);
  CHECK(b["services"][0]["name"] == "alpha");
  CHECK(b["services"][0]["instances"][0]["id"] == "a1");
  CHECK(b["services"][0]["instances"][1]["id"] == "a2");
  CHECK(b["services"][1]["name"] == "zeta");
}

TEST_CASE("routes: GET one service with healthy=true keeps only served instances", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  f.call("PUT", "/v1/services/payment/instances/p2", kPaymentP1);
  f.call("PUT", "/v1/services/payment/instances/p3", kPaymentP1);
  f.call("PUT", "/v1/services/payment/instances/p2/status", R"({"status":"maintenance"})");
  f.call("PUT", "/v1/services/payment/instances/p3/status", R"({"status":"warning"})");

  const json all = body_of(f.call("GET", "/v1/services/Payment"));
  CHECK(all["name"] == "payment");
  CHECK(all["index"] == 5);
  CHECK(all["instances"].size() == 3);

  const json healthy = body_of(f.call("GET", "/v1/services/payment", {}, "healthy=true"));
  REQUIRE(healthy["instances"].size() == 2);
  CHECK(healthy["instances"][0]["id"] == "p1");
  CHECK(healthy["instances"][1]["id"] == "p3");  // warning is still served

  CHECK(body_of(f.call("GET", "/v1/services/payment", {}, "healthy=false"))["instances"].size() ==
        3);
  CHECK(f.call("GET", "/v1/services/payment", {}, "healthy=maybe").status == 400);
  CHECK(f.call("GET", "/v1/services/billing").status == 404);
  CHECK(f.call("GET", "/v1/services/not_a_label").status == 404);
}

TEST_CASE("routes: /healthz reports ok and the index", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  Response r = f.call("GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(body_of(r) == json::parse(R"({"status":"ok","index":1})"));
  CHECK(f.call("HEAD", "/healthz").status == 200);
}

TEST_CASE("routes: /metrics is Prometheus text with the registry's size", "[routes]") {
  Fixture f;
  f.call("PUT", "/v1/services/payment/instances/p1", kPaymentP1);
  f.call("PUT", "/v1/services/payment/instances/p2", R"({"address":"10.0.0.2","port":8080})");
  Response r = f.call("GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.content_type.starts_with("text/plain"));
  CHECK_THAT(r.body, Catch::Contains("\nsrvd_registry_index 2\n"));
  CHECK_THAT(r.body, Catch::Contains("# TYPE srvd_instances gauge\nsrvd_instances 2\n"));
  CHECK_THAT(r.body, Catch::Contains("\nsrvd_services 1\n"));
  CHECK(f.call("PUT", "/metrics").status == 405);
}

TEST_CASE("routes: unknown paths are 404 and wrong methods 405 with Allow", "[routes]") {
  Fixture f;
  for (const char* path :
       {"/", "/v1", "/v1/services/", "/v1/services/a/instances", "/v1/services/a/instances/b/c",
        "/v2/services", "/healthz/x", "/v1/services//instances/b",
        // Longer than any route: split_path keeps only the first segments, which must not
        // make them look like a route.
        "/v1/services/a/instances/b/status/x", "/v1/services/a/instances/b/heartbeat/",
        "/v1/services/a/instances/b/status/x/y/z/w/v", "/v1/services/a/instances/b/status//"}) {
    INFO(path);
    Response r = f.call("GET", path);
    CHECK(r.status == 404);
    CHECK(body_of(r).contains("error"));
  }
  struct Case {
    const char *method, *path, *allow;
  };
  for (const Case& c :
       {Case{"POST", "/v1/services", "GET, HEAD"}, Case{"DELETE", "/v1/services/a", "GET, HEAD"},
        Case{"GET", "/v1/services/a/instances/b", "PUT, DELETE"},
        Case{"POST", "/v1/services/a/instances/b", "PUT, DELETE"},
        Case{"DELETE", "/v1/services/a/instances/b/status", "PUT"},
        Case{"PUT", "/healthz", "GET, HEAD"}}) {
    INFO(c.method << " " << c.path);
    Response r = f.call(c.method, c.path, kPaymentP1);
    CHECK(r.status == 405);
    CHECK(r.allow == c.allow);
    CHECK(body_of(r).contains("error"));
  }
  CHECK(f.registry.index() == 0);
}

TEST_CASE("routes: messages with invalid UTF-8 from the URL still make valid JSON", "[routes]") {
  Fixture f;
  Response r = f.call("GET", "/v1/\xff\xfe");
  CHECK(r.status == 404);
  CHECK_NOTHROW(body_of(r));
}
