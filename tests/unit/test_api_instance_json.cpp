// test_api_instance_json.cpp -- Instance to JSON and request bodies from JSON.
#include <catch2/catch.hpp>

#include "api/instance_json.hpp"

using nlohmann::json;
using namespace srvd;

TEST_CASE("instance_json: times are RFC 3339 UTC with milliseconds", "[instance_json]") {
  CHECK(api::format_time_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(api::format_time_ms(1795888800123) == "2026-11-28T18:00:00.123Z");
  CHECK(api::format_time_ms(1795888800005) == "2026-11-28T18:00:00.005Z");
  CHECK(api::format_time_ms(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("instance_json: an instance round-trips through a register body", "[instance_json]") {
  auto parsed = api::instance_from_json(
      json::parse(R"({"address":"::ffff:10.0.0.1","port":65535,"protocol":"udp","priority":0,
                      "weight":65535,"tags":["a","b"],"meta":{"k":"v"}})"),
      "Payment", "P1");
  REQUIRE(std::holds_alternative<registry::Instance>(parsed));
  const auto& inst = std::get<registry::Instance>(parsed);
  CHECK(inst.service == "Payment");  // left for the registry to validate and lowercase
  CHECK(inst.id == "P1");
  CHECK(inst.address.ipv6);
  CHECK(inst.port == 65535);
  CHECK(inst.protocol == registry::Protocol::udp);
  CHECK(inst.priority == 0);
  CHECK(inst.weight == 65535);
  CHECK(inst.tags == std::vector<std::string>{"a", "b"});
  CHECK(inst.meta == std::map<std::string, std::string>{{"k", "v"}});

  const json out = api::instance_to_json(inst);
  CHECK(out["port"] == 65535);
  CHECK(out["protocol"] == "udp");
  CHECK(out["tags"] == json::array({"a", "b"}));
  CHECK(out["meta"] == json::object({{"k", "v"}}));
  // Issue 4 adds source, check_output, checked_at, status_changed_at and heartbeat_at;
  // ttl, deregister_after and check appear only when set.
  CHECK(out.size() == 20);
  CHECK(out["source"] == "api");
  CHECK(out["checked_at"].is_null());
  CHECK(!out.contains("ttl"));
  CHECK(!out.contains("check"));
}

TEST_CASE("instance_json: ttl, deregister_after and check in, canonical durations out",
          "[instance_json]") {
  auto parsed = api::instance_from_json(
      json::parse(R"({"address":"10.0.0.1","port":80,"ttl":"90s","deregister_after":"1m",
                      "check":{"http":"http://127.0.0.1:9001/health","interval":"2s",
                               "timeout":"1500ms","rise":2,"fall":3}})"),
      "s", "i");
  REQUIRE(std::holds_alternative<registry::Instance>(parsed));
  const auto& inst = std::get<registry::Instance>(parsed);
  CHECK(inst.ttl_ms == 90000);
  CHECK(inst.deregister_after_ms == 60000);
  REQUIRE(inst.check);
  CHECK(inst.check->kind == registry::CheckSpec::Kind::http);
  CHECK(inst.check->interval_ms == 2000);
  CHECK(inst.check->timeout_ms == 1500);
  CHECK(inst.check->rise == 2);
  CHECK(inst.check->fall == 3);
  const json out = api::instance_to_json(inst);
  CHECK(out["ttl"] == "1m30s");
  CHECK(out["deregister_after"] == "1m");
  CHECK(out["check"] == json::parse(R"({"http":"http://127.0.0.1:9001/health","interval":"2s",
                                        "timeout":"1500ms","rise":2,"fall":3})"));

  auto tcp = api::instance_from_json(
      json::parse(R"({"address":"10.0.0.1","port":80,"check":{"tcp":"[::1]:22"}})"), "s", "i");
  REQUIRE(std::holds_alternative<registry::Instance>(tcp));
  CHECK(std::get<registry::Instance>(tcp).check->interval_ms == 10000);  // defaults
  CHECK(std::get<registry::Instance>(tcp).check->timeout_ms == 2000);

  auto error_of = [](const char* body) {
    auto p = api::instance_from_json(json::parse(body), "s", "i");
    return std::holds_alternative<std::string>(p) ? std::get<std::string>(p) : std::string();
  };
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,"ttl":"10"})"),
             Catch::StartsWith("field \"ttl\" must be a duration"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,"ttl":10})"),
             Catch::StartsWith("field \"ttl\" must be a duration"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,"check":{"interval":"1s"}})"),
             Catch::Contains("exactly one"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,
                          "check":{"http":"http://a","tcp":"127.0.0.1:1"}})"),
             Catch::Contains("exactly one"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,
                          "check":{"http":"http://example.com:80/"}})"),
             Catch::Contains("IP address or localhost"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,"check":{"tcp":"127.0.0.1"}})"),
             Catch::Contains("HOST:PORT"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,
                          "check":{"tcp":"localhost:22","rise":0}})"),
             Catch::Contains("check.rise"));
  CHECK_THAT(error_of(R"({"address":"10.0.0.1","port":80,
                          "check":{"tcp":"localhost:22","bogus":1}})"),
             Catch::Contains("unknown field \"check.bogus\""));
}

TEST_CASE("instance_json: errors name the field and truncate echoed input", "[instance_json]") {
  const std::string long_field(1000, 'x');
  auto parsed = api::instance_from_json(json{{"address", "10.0.0.1"}, {"port", 1}, {long_field, 1}},
                                        "s", "i");
  REQUIRE(std::holds_alternative<std::string>(parsed));
  const auto& err = std::get<std::string>(parsed);
  CHECK_THAT(err, Catch::StartsWith("unknown field \"xxxx"));
  CHECK(err.size() < 100);

  auto unsigned_big = api::instance_from_json(
      json::parse(R"({"address":"10.0.0.1","port":18446744073709551615})"), "s", "i");
  CHECK(std::holds_alternative<std::string>(unsigned_big));
  auto null_tags = api::instance_from_json(
      json::parse(R"({"address":"10.0.0.1","port":1,"tags":null})"), "s", "i");
  CHECK(std::get<std::string>(null_tags) == "field \"tags\" must be an array of strings");
}

TEST_CASE("instance_json: status bodies", "[instance_json]") {
  auto ok = api::status_from_json(json::parse(R"({"status":"maintenance","reason":"deploy"})"));
  REQUIRE(std::holds_alternative<api::StatusChange>(ok));
  CHECK(std::get<api::StatusChange>(ok).status == registry::Status::maintenance);
  CHECK(std::get<api::StatusChange>(ok).reason == "deploy");
  CHECK(std::holds_alternative<std::string>(api::status_from_json(json::parse(R"({})"))));
  CHECK(std::holds_alternative<std::string>(
      api::status_from_json(json::parse(R"({"status":"healthy","reason":5})"))));
  CHECK(std::holds_alternative<std::string>(api::status_from_json(json::parse("\"healthy\""))));
}
