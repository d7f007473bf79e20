// test_registry_stored_instance.cpp -- the per-instance JSON document of both stores.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "registry/stored_instance.hpp"
#include "test_registry_support.hpp"

using namespace srvd::registry;

namespace {

Instance load(std::string_view doc, std::string_view service = "web", std::string_view id = "a1") {
  auto r = from_stored_json(doc, service, id);
  if (auto* err = std::get_if<std::string>(&r)) {
    FAIL("unexpected error: " << *err);
  }
  return std::get<Instance>(r);
}

std::string load_error(std::string_view doc, std::string_view service = "web",
                       std::string_view id = "a1") {
  auto r = from_stored_json(doc, service, id);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("stored instance: every field but heartbeat and indexes round-trips", "[stored]") {
  Instance in = full_instance();
  Instance out = load(to_stored_json(in), "payments", "p-1");

  CHECK(out.service == in.service);
  CHECK(out.id == in.id);
  CHECK(out.address == in.address);
  CHECK(out.address.text == "2001:db8::7");
  CHECK(out.port == in.port);
  CHECK(out.protocol == in.protocol);
  CHECK(out.priority == in.priority);
  CHECK(out.weight == in.weight);
  CHECK(out.tags == in.tags);
  CHECK(out.meta == in.meta);
  CHECK(out.status == in.status);
  CHECK(out.status_reason == in.status_reason);
  CHECK(out.source == in.source);
  CHECK(out.ttl_ms == in.ttl_ms);
  CHECK(out.deregister_after_ms == in.deregister_after_ms);
  CHECK(out.check == in.check);
  CHECK(out.maintenance == in.maintenance);
  CHECK(out.health == in.health);
  CHECK(out.ttl_expired == in.ttl_expired);
  CHECK(out.passes == in.passes);
  CHECK(out.failures == in.failures);
  CHECK(out.check_output == in.check_output);
  CHECK(out.checked_at_ms == in.checked_at_ms);
  CHECK(out.status_changed_at_ms == in.status_changed_at_ms);
  CHECK(out.unserved_at_ms == in.unserved_at_ms);
  CHECK(out.registered_at_ms == in.registered_at_ms);
  CHECK(out.updated_at_ms == in.updated_at_ms);
  // A restart opens a fresh TTL window and counts its own changes.
  CHECK(out.heartbeat_at_ms == 0);
  CHECK(out.create_index == 0);
  CHECK(out.modify_index == 0);
}

TEST_CASE("stored instance: an http check and an IPv4 plain instance round-trip", "[stored]") {
  Instance in;
  in.service = "web";
  in.id = "a1";
  in.address = *parse_address("10.0.0.5");
  in.port = 80;
  in.check = CheckSpec{CheckSpec::Kind::http, "http://127.0.0.1:80/health", 10000, 2000, 1, 1};
  Instance out = load(to_stored_json(in));
  CHECK(out.address == in.address);
  CHECK_FALSE(out.address.ipv6);
  CHECK(out.check == in.check);
  CHECK(out.tags.empty());
  CHECK(out.meta.empty());
  CHECK(out.status == Status::healthy);
  CHECK(out.source == Source::api);
}

TEST_CASE("stored instance: the article's clients read id, name, address, port, status",
          "[stored]") {
  Instance in = full_instance();
  std::string doc = to_stored_json(in);
  CHECK(doc.rfind(R"({"id":"p-1","name":"payments","address":"2001:db8::7","port":8443,)", 0) == 0);
  CHECK(doc.find(R"("status":"DOWN")") != std::string::npos);  // in maintenance: not served
  in.maintenance = false;
  in.status = Status::warning;
  CHECK(to_stored_json(in).find(R"("status":"UP")") != std::string::npos);
}

TEST_CASE("stored instance: a document from the seed article's registry loads", "[stored]") {
  Instance up = load(R"({"id":"A1","name":"Web","address":"192.168.1.10","port":8080,
      "metadata":{"version":"1.0"},"status":"UP","lastSeen":"2024-01-01T00:00:00Z"})");
  CHECK(up.service == "web");
  CHECK(up.id == "a1");
  CHECK(up.address.text == "192.168.1.10");
  CHECK(up.port == 8080);
  CHECK(up.meta == std::map<std::string, std::string>{{"version", "1.0"}});
  CHECK(up.status == Status::healthy);
  CHECK(up.health == Status::healthy);
  CHECK(up.protocol == Protocol::tcp);
  CHECK(up.priority == 1);
  CHECK(up.weight == 1);

  Instance down = load(R"({"id":"a1","name":"web","address":"::1","port":1,"status":"DOWN",
      "metadata":null})");
  CHECK(down.status == Status::critical);
  CHECK(down.health == Status::critical);
  CHECK_FALSE(is_served(down.status));
  CHECK(down.meta.empty());

  Instance maint = load(R"({"address":"10.1.1.1","port":53,"status":"maintenance"})");
  CHECK(maint.status == Status::maintenance);
  CHECK(maint.maintenance);
  CHECK(maint.id == "a1");  // from the key when the document omits it

  CHECK(load(R"({"address":"10.1.1.1","port":53,"status":"warning"})").status == Status::warning);
  CHECK(load(R"({"address":"10.1.1.1","port":53})").status == Status::healthy);
}

TEST_CASE("stored instance: bad documents give an error naming the problem", "[stored]") {
  CHECK(load_error("not json").find("not JSON") != std::string::npos);
  CHECK(load_error("").find("not JSON") != std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80)").find("not JSON") != std::string::npos);
  CHECK(load_error("[1,2]").find("object") != std::string::npos);
  CHECK(load_error(R"({"port":80})").find("address") != std::string::npos);
  CHECK(load_error(R"({"address":"example.com","port":80})").find("address") != std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1"})").find("port") != std::string::npos);
  for (const char* port : {"0", "65536", "-1", "80.5", "\"80\""}) {
    INFO(port);
    auto doc = std::string(R"({"address":"10.0.0.1","port":)") + port + "}";
    CHECK(load_error(doc).find("port") != std::string::npos);
  }
  CHECK(load_error(R"({"name":"api","address":"10.0.0.1","port":80})").find("name") !=
        std::string::npos);
  CHECK(load_error(R"({"id":"b2","address":"10.0.0.1","port":80})").find("id") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"metadata":{"v":1}})").find("metadata") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"metadata":["v"]})").find("metadata") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"status":"SICK"})").find("status") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"srvd":{"priority":70000}})")
            .find("srvd.priority") != std::string::npos);
  CHECK(
      load_error(R"({"address":"10.0.0.1","port":80,"srvd":{"tags":["a",2]}})").find("srvd.tags") !=
      std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"srvd":{"protocol":"sctp"}})")
            .find("srvd.protocol") != std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"srvd":{"check":{"tcp":"nohost"}}})")
            .find("check tcp") != std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"srvd":{"ttl_ms":5}})").find("ttl") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80,"metadata":{"a=b":"c"}})").find("meta") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80})", "bad_name", "a1").find("bad_name") !=
        std::string::npos);
  CHECK(load_error(R"({"address":"10.0.0.1","port":80})", "ns", "a1").find("reserved") !=
        std::string::npos);
}

TEST_CASE("stored instance: without srvd.status the status follows the health state", "[stored]") {
  CHECK(load(R"({"address":"10.0.0.1","port":80,"srvd":{"maintenance":true}})").status ==
        Status::maintenance);
  CHECK(load(R"({"address":"10.0.0.1","port":80,"srvd":{"ttl_ms":1000,"ttl_expired":true}})")
            .status == Status::critical);
  CHECK(load(R"({"address":"10.0.0.1","port":80,"srvd":{"health":"warning"}})").status ==
        Status::warning);
  // srvd's own fields win over the article's summary when both are there.
  CHECK(load(R"({"address":"10.0.0.1","port":80,"status":"DOWN","srvd":{}})").status ==
        Status::healthy);
}

namespace {

/// What nlohmann itself writes for the same document: parse keeping key order, dump again.
std::string redumped(const std::string& doc) {
  return nlohmann::ordered_json::parse(doc).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("stored instance: the document is byte for byte what nlohmann writes", "[stored]") {
  // to_stored_json writes the document directly; the stored format must not move, so every
  // escape, number and key order must be what the nlohmann-built version wrote before.
  Instance full = full_instance();
  CHECK(to_stored_json(full) == redumped(to_stored_json(full)));

  Instance odd = full_instance();
  odd.check.reset();
  odd.tags.clear();
  odd.meta = {{"ctl", std::string("a\x01\x1f\b\f\n\r\t\x7f", 9)},
              {"q\"\\", "\xe2\x82\xac \xf0\x9f\x98\x80"}};
  odd.status_reason = "tab\there";
  odd.checked_at_ms = -5;
  odd.port = 65535;
  CHECK(to_stored_json(odd) == redumped(to_stored_json(odd)));
  auto back = from_stored_json(to_stored_json(odd), odd.service, odd.id);
  REQUIRE(std::holds_alternative<Instance>(back));
  CHECK(std::get<Instance>(back).meta == odd.meta);

  // The exact document for a plain registration, as registry.db holds it since issue 5.
  Instance plain;
  plain.service = "web";
  plain.id = "a";
  plain.address = *parse_address("10.0.0.1");
  plain.port = 80;
  CHECK(to_stored_json(plain) ==
        R"({"id":"a","name":"web","address":"10.0.0.1","port":80,"metadata":{},"status":"UP",)"
        R"("srvd":{"protocol":"tcp","priority":1,"weight":1,"tags":[],"ttl_ms":0,)"
        R"("deregister_after_ms":0,"source":"api","status":"healthy","reason":"",)"
        R"("maintenance":false,"health":"healthy","ttl_expired":false,"passes":0,"failures":0,)"
        R"("check_output":"","checked_at_ms":0,"status_changed_at_ms":0,"unserved_at_ms":0,)"
        R"("registered_at_ms":0,"updated_at_ms":0}})");
}

TEST_CASE("stored instance: text that is not UTF-8 is stored with replacement characters",
          "[stored]") {
  // A stray byte, a cut sequence, an overlong form, a surrogate, above U+10FFFF, truncated.
  for (const char* bad :
       {"\xff", "ok\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    Instance i = full_instance();
    i.check_output = std::string("out ") + bad + " end";
    const std::string doc = to_stored_json(i);
    CHECK(doc == redumped(doc));
    CHECK(doc.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
    CHECK(std::holds_alternative<Instance>(from_stored_json(doc, i.service, i.id)));
  }
}
