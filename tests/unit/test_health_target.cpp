// test_health_target.cpp -- parsing check targets and HTTP status lines, without sockets.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include "health/target.hpp"
#include "health/verdict.hpp"

using namespace srvd;
using registry::CheckSpec;

namespace {

std::optional<health::Target> parse(CheckSpec::Kind kind, const std::string& target,
                                    std::string& error) {
  return health::parse_target({.kind = kind, .target = target}, error);
}

int port_of(const sockaddr_storage& ss) {
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

TEST_CASE("health: HTTP targets become an address and a request", "[health]") {
  std::string error;
  auto t = parse(CheckSpec::Kind::http, "http://127.0.0.1:9001/health", error);
  REQUIRE(t);
  CHECK(t->address.ss_family == AF_INET);
  CHECK(port_of(t->address) == 9001);
  CHECK(t->request ==
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUser-Agent: srvd-check\r\n"
        "Accept: */*\r\n\r\n");

  t = parse(CheckSpec::Kind::http, "http://localhost", error);
  REQUIRE(t);
  CHECK(port_of(t->address) == 80);
  CHECK(t->request.rfind("GET / HTTP/1.1\r\nHost: localhost\r\n", 0) == 0);

  t = parse(CheckSpec::Kind::http, "http://[::1]:8080/ready", error);
  REQUIRE(t);
  CHECK(t->address.ss_family == AF_INET6);
  CHECK(port_of(t->address) == 8080);
  CHECK(t->request.find("Host: [::1]:8080\r\n") != std::string::npos);
}

TEST_CASE("health: bad targets are refused with a reason", "[health]") {
  struct Case {
    CheckSpec::Kind kind;
    std::string target, error;
  };
  auto c =
      GENERATE(Case{CheckSpec::Kind::http, "https://127.0.0.1/", "URL must start with http://"},
               Case{CheckSpec::Kind::http, "http://db.example:80/",
                    "host must be an IP address or localhost"},
               Case{CheckSpec::Kind::http, "http://127.0.0.1:0/", "port must be 1-65535"},
               Case{CheckSpec::Kind::http, "http://127.0.0.1:80/a b",
                    "URL path must not contain spaces or control characters"},
               Case{CheckSpec::Kind::http, "http://127.0.0.1/a\r\nX: y",
                    "URL path must not contain spaces or control characters"},
               Case{CheckSpec::Kind::tcp, "127.0.0.1", "port must be 1-65535"},
               Case{CheckSpec::Kind::tcp, "127.0.0.1:x", "port must be 1-65535"},
               Case{CheckSpec::Kind::tcp, "[::1:53", "unterminated IPv6 literal"});
  std::string error;
  CHECK_FALSE(parse(c.kind, c.target, error));
  CHECK(error == c.error);
}

TEST_CASE("health: TCP targets", "[health]") {
  std::string error;
  auto t = parse(CheckSpec::Kind::tcp, "[::1]:5432", error);
  REQUIRE(t);
  CHECK(t->address.ss_family == AF_INET6);
  CHECK(port_of(t->address) == 5432);
  CHECK(t->request.empty());
}

TEST_CASE("health: status lines and verdicts", "[health]") {
  CHECK(health::parse_status_line("HTTP/1.1 200 OK") == 200);
  CHECK(health::parse_status_line("HTTP/1.0 503 Service Unavailable") == 503);
  CHECK(health::parse_status_line("HTTP/1.1 204") == 204);
  CHECK_FALSE(health::parse_status_line("HTTP/1.1 20 OK"));
  CHECK_FALSE(health::parse_status_line("HTTP/1.1 2000 OK"));
  CHECK_FALSE(health::parse_status_line("ICY 200 OK"));
  CHECK_FALSE(health::parse_status_line(""));
  CHECK(health::http_verdict(200).status == registry::Status::healthy);
  CHECK(health::http_verdict(299).status == registry::Status::healthy);
  CHECK(health::http_verdict(429).status == registry::Status::warning);
  CHECK(health::http_verdict(429).output == "HTTP 429");
  CHECK(health::http_verdict(300).status == registry::Status::critical);
  CHECK(health::http_verdict(199).status == registry::Status::critical);
}
