// test_api_routes_store.cpp -- the API over a store: writes answered once durable, 503 when
// the store fails or is unreachable, /healthz degraded meanwhile (issue 5 §1, §9).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/routes.hpp"
#include "test_api_support.hpp"

using nlohmann::json;
using srvd::api::Request;
using srvd::api::Response;

namespace {

/// A store the test drives by hand: writes wait until `commit` (or `fail`).
struct FakeStore : srvd::api::test::FakeVisibility {
  std::string down;  ///< non-empty: unreachable
  std::vector<std::function<void(std::string)>> saving;

  void after_write(uint64_t index, std::function<void(std::string)> then) override {
    saving.push_back([this, index, then = std::move(then)](std::string error) {
      if (!error.empty()) {
        then(std::move(error));
        return;
      }
      when_visible(index, [then] { then({}); });
    });
  }
  std::string store_unavailable() const override { return down; }
  void finish(const std::string& error) {
    auto batch = std::move(saving);
    saving.clear();
    for (auto& s : batch) {
      s(error);
    }
  }
};

struct Fixture {
  srvd::registry::Registry registry{srvd::registry::ZoneConfig{}};
  FakeStore store;
  srvd::api::RouteContext ctx{registry, store, [] { return int64_t{1795888800123}; }};
  std::optional<Response> reply;

  void send(std::string method, std::string path, std::string body = {}) {
    reply.reset();
    Request req{std::move(method), std::move(path), {}, std::move(body)};
    srvd::api::route(req, ctx, [this](Response r) { reply = std::move(r); });
  }
};

constexpr const char* kBody = R"({"address":"10.0.0.1","port":80})";

}  // namespace

TEST_CASE("routes: a write is answered only after the store has it and DNS serves it") {
  Fixture f;
  f.store.advance(100);  // DNS is ahead: only the store holds the reply back
  f.send("PUT", "/v1/services/web/instances/a", kBody);
  CHECK_FALSE(f.reply);
  f.store.finish("");
  REQUIRE(f.reply);
  CHECK(f.reply->status == 201);
}

TEST_CASE("routes: a write the store could not keep gets 503 with the store's reason") {
  Fixture f;
  f.store.advance(100);
  f.send("PUT", "/v1/services/web/instances/a", kBody);
  f.store.finish("disk I/O error");
  REQUIRE(f.reply);
  CHECK(f.reply->status == 503);
  CHECK(json::parse(f.reply->body)["error"] == "store unavailable: disk I/O error");
}

TEST_CASE("routes: while the store is unreachable writes fail at once and change nothing") {
  Fixture f;
  f.store.down = "etcd unreachable: connection refused";
  for (auto [method, path] : {std::pair{"PUT", "/v1/services/web/instances/a"},
                              std::pair{"DELETE", "/v1/services/web/instances/a"},
                              std::pair{"PUT", "/v1/services/web/instances/a/heartbeat"}}) {
    f.send(method, path, kBody);
    REQUIRE(f.reply);  // at once: nothing waits for a store that is not there
    CHECK(f.reply->status == 503);
    CHECK(json::parse(f.reply->body)["error"] ==
          "store unavailable: etcd unreachable: connection refused");
  }
  CHECK(f.registry.services().empty());
  CHECK(f.store.saving.empty());

  f.send("GET", "/healthz");
  REQUIRE(f.reply);
  CHECK(f.reply->status == 200);  // DNS still answers from the last known state
  auto health = json::parse(f.reply->body);
  CHECK(health["status"] == "degraded");
  CHECK(health["error"] == "etcd unreachable: connection refused");

  f.store.down.clear();
  f.send("GET", "/healthz");
  REQUIRE(f.reply);
  CHECK(json::parse(f.reply->body)["status"] == "ok");
  CHECK_FALSE(json::parse(f.reply->body).contains("error"));
}
