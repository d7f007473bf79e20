// test_api_http_message.cpp -- the bytes of a response.
#include <catch2/catch.hpp>

#include "api/http_message.hpp"

using srvd::api::Framing;
using srvd::api::Response;

TEST_CASE("http_message: every response has Content-Length and X-Srvd-Index", "[http_message]") {
  Response r{.status = 201, .body = "{}\n", .index = 42, .allow = {}};
  CHECK(srvd::api::serialize(r, Framing{}) ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 3\r\n"
        "X-Srvd-Index: 42\r\n\r\n{}\n");
}

TEST_CASE("http_message: connection headers and Allow and HEAD", "[http_message]") {
  Response r{.status = 405, .body = "{}", .index = 0, .allow = "PUT, DELETE"};
  const std::string close = srvd::api::serialize(r, Framing{.keep_alive = false});
  CHECK_THAT(close, Catch::StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK_THAT(close, Catch::Contains("\r\nAllow: PUT, DELETE\r\n"));
  CHECK_THAT(close, Catch::Contains("\r\nConnection: close\r\n"));

  const std::string http10 = srvd::api::serialize(r, Framing{.keep_alive = true, .http10 = true});
  CHECK_THAT(http10, Catch::Contains("\r\nConnection: keep-alive\r\n"));

  const std::string head =
      srvd::api::serialize(r, Framing{.keep_alive = true, .http10 = false, .head = true});
  CHECK_THAT(head, Catch::Contains("Content-Length: 2\r\n"));
  CHECK_THAT(head, Catch::EndsWith("\r\n\r\n"));
}
