// test_api_instance_json.cpp -- Instance to JSON and request bodies from JSON.
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <vector>

#include "api/instance_json.hpp"

using nlohmann::json;
using namespace srvd;

TEST_CASE("instance_json: times are RFC 3339 UTC with milliseconds", "[instance_json]") {
  CHECK(api::format_time_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(api::format_time_ms(1795888800123) == "2026-11-28T18:00:00.123Z");
  CHECK(api::format_time_ms(1795888800005) == "2026-11-28T18:00:00.005Z");
  CHECK(api::format_time_ms(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("instance_json: the cached second changes with the time, forwards and back",
          "[instance_json]") {
  // append_time_ms reuses the formatted date and time of day while the second stays the
  // same: every step here must still give strftime's text for its own second.
  const auto reference = [](int64_t ms) {
    const auto t = static_cast<time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms % 1000));
    return std::string(buf) + frac;
  };
  const int64_t new_year = 1798761600000;  // 2027-01-01T00:00:00Z
  const std::vector<int64_t> steps = {
      new_year - 1001, new_year - 1000, new_year - 999, new_year - 1, new_year,
      new_year + 1,    new_year + 999,  new_year + 1000, new_year - 1, new_year + 60'000,
      1795888800123,   new_year,        new_year + 3'600'000 + 7};
  std::string all;
  for (const int64_t ms : steps) {
    CHECK(api::format_time_ms(ms) == reference(ms));
    api::append_time_ms(all, ms);
  }
  std::string expected;
  for (const int64_t ms : steps) {
    expected += reference(ms);
  }
  CHECK(all == expected);  // appends, never overwrites
  CHECK(api::format_time_ms(new_year - 1) == "2026-12-31T23:59:59.999Z");
  CHECK(api::format_time_ms(new_year) == "2027-01-01T00:00:00.000Z");
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

TEST_CASE("instance_json: the text writer gives nlohmann's bytes exactly", "[instance_json]") {
  registry::Instance plain;
  plain.service = "payment";
  plain.id = "p1";
  plain.address = *registry::parse_address("10.0.0.1");
  plain.port = 8080;
  plain.registered_at_ms = plain.updated_at_ms = plain.status_changed_at_ms = 1795888800123;
  plain.create_index = 1;
  plain.modify_index = 18446744073709551615ull;

  registry::Instance full = plain;
  full.address = *registry::parse_address("2001:db8::1");
  full.protocol = registry::Protocol::udp;
  full.priority = 0;
  full.weight = 65535;
  full.tags = {"blue", "quote\"back\\slash", "ctl\x01\x1f\n\t\r\b\f", "caf\xc3\xa9 \xe2\x82\xac",
               "bad\xff\xfeutf8\xc3", "del\x7f", ""};
  full.meta = {{"k", "v"}, {"w\"eird\n", "\xe6\x97\xa5\xe6\x9c\xac"}, {"", ""}};
  full.status = registry::Status::maintenance;
  full.status_reason = "disk \"full\"";
  full.source = registry::Source::file;
  full.ttl_ms = 90'000;
  full.deregister_after_ms = 500;
  full.check = registry::CheckSpec{.kind = registry::CheckSpec::Kind::http,
                                   .target = "http://127.0.0.1:80/h?x=\"1\"",
                                   .interval_ms = 10'000,
                                   .timeout_ms = 2'000,
                                   .rise = 3,
                                   .fall = 100};
  full.check_output = "HTTP 500: \x01\xc3";
  full.checked_at_ms = 1;
  full.heartbeat_at_ms = -1;

  registry::Instance tcp = plain;
  tcp.check = registry::CheckSpec{.kind = registry::CheckSpec::Kind::tcp,
                                  .target = "localhost:22",
                                  .interval_ms = 100,
                                  .timeout_ms = 100,
                                  .rise = 1,
                                  .fall = 1};
  tcp.status_changed_at_ms = 0;

  for (const auto* inst : {&plain, &full, &tcp}) {
    std::string text;
    api::append_instance_json(text, *inst);
    CHECK(text == api::instance_to_json(*inst).dump(-1, ' ', false,
                                                     json::error_handler_t::replace));
  }
}
