// test_registry_instance.cpp -- field parsing and validation rules of an instance.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "registry/instance.hpp"

using namespace srvd::registry;

TEST_CASE("instance: labels are lowercased and must be RFC 1123 host labels", "[instance]") {
  CHECK(normalize_label("Payment-API") == std::optional<std::string>("payment-api"));
  CHECK(normalize_label(std::string(63, 'a')).has_value());
  CHECK_FALSE(normalize_label(std::string(64, 'a')).has_value());
  CHECK_FALSE(normalize_label("").has_value());
  CHECK_FALSE(normalize_label("-lead").has_value());
  CHECK_FALSE(normalize_label("trail-").has_value());
  CHECK_FALSE(normalize_label("has.dot").has_value());
  CHECK_FALSE(normalize_label("under_score").has_value());
  CHECK_FALSE(normalize_label("sp ace").has_value());
  CHECK_FALSE(normalize_label(std::string_view("nul\0x", 5)).has_value());
}

TEST_CASE("instance: addresses parse as IPv4 or IPv6 literals in canonical form", "[instance]") {
  auto v4 = parse_address("10.0.0.1");
  REQUIRE(v4);
  CHECK_FALSE(v4->ipv6);
  CHECK(v4->text == "10.0.0.1");
  CHECK(v4->bytes[0] == 10);
  CHECK(v4->bytes[3] == 1);

  auto v6 = parse_address("2001:DB8:0:0::1");
  REQUIRE(v6);
  CHECK(v6->ipv6);
  CHECK(v6->text == "2001:db8::1");
  CHECK(v6->bytes[0] == 0x20);
  CHECK(v6->bytes[15] == 1);

  for (const char* bad : {"", "10.0.0", "10.0.0.256", "host.example", "[::1]", "::1%eth0",
                          "1.2.3.4 ", "0x7f.0.0.1"}) {
    INFO(bad);
    CHECK_FALSE(parse_address(bad).has_value());
  }
}

TEST_CASE("instance: IPv4 addresses read as inet_pton and inet_ntop read them", "[instance]") {
  // parse_address reads dotted quads itself (the hot path of every write): for each text it
  // must agree with the libc functions on whether it is an address, its bytes and its text.
  const auto reference = [](const std::string& text) -> std::optional<Address> {
    Address a;
    char canonical[INET6_ADDRSTRLEN] = {};
    if (text.empty() || text.size() > 45) {
      return std::nullopt;
    }
    if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
      inet_ntop(AF_INET, a.bytes.data(), canonical, sizeof canonical);
    } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
      a.ipv6 = true;
      inet_ntop(AF_INET6, a.bytes.data(), canonical, sizeof canonical);
    } else {
      return std::nullopt;
    }
    a.text = canonical;
    return a;
  };
  const std::vector<std::string> octets = {"",   "0",   "1",   "9",   "10",  "99",   "100", "199",
                                           "200", "249", "250", "255", "256", "00",  "01",  "010",
                                           "1000", "-1", "+1",  " 1",  "a",   "0x1"};
  std::vector<std::string> texts = {"1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3",
                                    "::ffff:1.2.3.4", "1.2.3.4\n", "1.2.3.4 ", "255.255.255.255"};
  for (const auto& a : octets) {
    for (const auto& b : octets) {
      texts.push_back(a + "." + b + ".3." + b);
      texts.push_back("10." + a + "." + b + ".0");
    }
  }
  for (const auto& text : texts) {
    INFO(text);
    const auto got = parse_address(text);
    const auto want = reference(text);
    REQUIRE(got.has_value() == want.has_value());
    if (got) {
      CHECK(got->ipv6 == want->ipv6);
      CHECK(got->bytes == want->bytes);
      CHECK(got->text == want->text);
    }
  }
}

TEST_CASE("instance: status and protocol names round-trip", "[instance]") {
  for (auto s : {Status::healthy, Status::warning, Status::critical, Status::maintenance}) {
    CHECK(parse_status(to_string(s)) == s);
  }
  CHECK_FALSE(parse_status("down").has_value());
  CHECK(parse_protocol("udp") == Protocol::udp);
  CHECK(parse_protocol("tcp") == Protocol::tcp);
  CHECK_FALSE(parse_protocol("TCP").has_value());
  CHECK(is_served(Status::healthy));
  CHECK(is_served(Status::warning));
  CHECK_FALSE(is_served(Status::critical));
  CHECK_FALSE(is_served(Status::maintenance));
}

TEST_CASE("instance: meta and tags must fit in TXT strings", "[instance]") {
  Instance i;
  CHECK(validate_details(i).empty());
  i.meta["version"] = "1.2";
  CHECK(validate_details(i).empty());
  i.meta["k"] = std::string(253, 'v');  // "k=" + 253 = 255 bytes: fits
  CHECK(validate_details(i).empty());
  i.meta["k"] = std::string(254, 'v');
  CHECK(validate_details(i).find("too long") != std::string::npos);
  i.meta.clear();
  i.meta["a=b"] = "c";
  CHECK_FALSE(validate_details(i).empty());
  i.meta.clear();
  i.tags.push_back("");
  CHECK_FALSE(validate_details(i).empty());
}
