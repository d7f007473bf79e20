// test_api_plain_instance_json.cpp -- the plain registration body reader against the full one.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "api/instance_json.hpp"
#include "api/plain_instance_json.hpp"

using nlohmann::json;
using namespace srvd;

namespace {

/// What the full reader makes of `body`: the instance as response JSON, or "error".
std::string full(const std::string& body, std::string_view service, std::string_view id) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return "error";
  }
  auto inst = api::instance_from_json(j, service, id);
  if (std::holds_alternative<std::string>(inst)) {
    return "error";
  }
  std::string out;
  api::append_instance_json(out, std::get<registry::Instance>(inst));
  return out;
}

}  // namespace

TEST_CASE("plain_instance_json: reads plain bodies as the full reader does", "[instance_json]") {
  const std::vector<std::string> plain = {
      R"({"address":"10.101.3.4","port":8080})",
      " \t\r\n{ \"port\" : 1 ,\n\"address\" : \"10.0.0.1\" } \n",
      R"({"address":"2001:DB8::1","port":65535,"protocol":"udp","priority":0,"weight":0,)"
      R"("service":"Web","id":"A-1"})",
      R"({"id":"a-1","service":"web","weight":7,"priority":3,"protocol":"tcp","port":53,)"
      R"("address":"192.0.2.1"})",
  };
  for (const auto& body : plain) {
    INFO(body);
    const auto got = api::plain_instance_from_json(body, "web", "a-1");
    REQUIRE(got);
    std::string out;
    api::append_instance_json(out, *got);
    CHECK(out == full(body, "web", "a-1"));
    CHECK(got->address.text == (body.find("2001") != std::string::npos ? "2001:db8::1"
                                : body.find("10.101") != std::string::npos ? "10.101.3.4"
                                : body.find("192.0") != std::string::npos  ? "192.0.2.1"
                                                                           : "10.0.0.1"));
  }
}

TEST_CASE("plain_instance_json: leaves everything else to the full reader", "[instance_json]") {
  // Each is either invalid (the full reader's 400 message must be the one users see) or
  // valid but outside the plain subset; a wrong reading here would change a response.
  const std::vector<std::string> others = {
      "",
      "{}",
      "[]",
      "null",
      R"({"address":"10.0.0.1"})",
      R"({"port":80})",
      R"({"address":"10.0.0.1","port":0})",
      R"({"address":"10.0.0.1","port":65536})",
      R"({"address":"10.0.0.1","port":99999999999999999999})",
      R"({"address":"10.0.0.1","port":080})",
      R"({"address":"10.0.0.1","port":80.0})",
      R"({"address":"10.0.0.1","port":8e1})",
      R"({"address":"10.0.0.1","port":-1})",
      R"({"address":"10.0.0.1","port":"80"})",
      R"({"address":"10.0.0.1","port":80,"address":"10.0.0.2"})",
      R"({"address":"10.0.0.1","port":80,"tags":["a"]})",
      R"({"address":"10.0.0.1","port":80,"ttl":"10s"})",
      R"({"address":"10.0.0.1","port":80,"bogus":1})",
      R"({"address":"10.0.0.\u0031","port":80})",
      R"({"addr\u0065ss":"10.0.0.1","port":80})",
      "{\"address\":\"10.0.0.1\",\"port\":80}x",
      "{\"address\":\"10.0.0.1\",\"port\":80}}",
      "\xEF\xBB\xBF{\"address\":\"10.0.0.1\",\"port\":80}",
      R"({"address":"10.0.0","port":80})",
      R"({"address":10,"port":80})",
      R"({"address":"10.0.0.1","port":80,"service":"db"})",
      R"({"address":"10.0.0.1","port":80,"id":"a-2"})",
      R"({"address":"10.0.0.1","port":80,"protocol":"sctp"})",
      R"({"address":"10.0.0.1","port":80,"priority":null})",
      R"({"address":"10.0.0.1","port":80,})",
      R"({"address":"10.0.0.1" "port":80})",
      R"({"address""10.0.0.1","port":80})",
      R"({"address":"10.0.0.1","port":80)",
      "{\"address\":\"10.0.0.1\",\"port\":80,\"service\":\"w\xC3\xA9\"}",
  };
  for (const auto& body : others) {
    INFO(body);
    CHECK_FALSE(api::plain_instance_from_json(body, "web", "a-1"));
  }
}
