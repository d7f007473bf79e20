// test_api_http_request_reader.cpp -- HTTP bytes to requests, without sockets.
#include <catch2/catch.hpp>

#include "api/http_request_reader.hpp"

using srvd::api::ReadRequest;
using srvd::api::RequestReader;

namespace {

std::vector<ReadRequest> read_all(RequestReader& reader, const std::string& bytes,
                                  bool one_byte_at_a_time = false) {
  std::vector<ReadRequest> out;
  if (one_byte_at_a_time) {
    for (char c : bytes) {
      REQUIRE(reader.read(&c, 1, out));
    }
  } else {
    REQUIRE(reader.read(bytes.data(), bytes.size(), out));
  }
  return out;
}

int failure_of(const std::string& bytes) {
  RequestReader reader;
  std::vector<ReadRequest> out;
  CHECK_FALSE(reader.read(bytes.data(), bytes.size(), out));
  CHECK_FALSE(reader.failure_message().empty());
  return reader.failure_status();
}

}  // namespace

TEST_CASE("request_reader: pieces and pipelined requests come out whole and in order",
          "[request_reader]") {
  const std::string two =
      "PUT /v1/services/a/instances/b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"
      "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
  for (bool bytewise : {false, true}) {
    RequestReader reader;
    auto got = read_all(reader, two, bytewise);
    REQUIRE(got.size() == 2);
    CHECK(got[0].request.method == "PUT");
    CHECK(got[0].request.path == "/v1/services/a/instances/b");
    CHECK(got[0].request.query == "x=1");
    CHECK(got[0].request.body == "{}");
    CHECK(got[0].framing.keep_alive);
    CHECK(got[1].request.method == "GET");
    CHECK(got[1].request.path == "/healthz");
    CHECK(got[1].request.body.empty());
  }
}

TEST_CASE("request_reader: keep-alive and HTTP/1.0 and HEAD and absolute targets",
          "[request_reader]") {
  RequestReader a;
  auto close = read_all(a, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK_FALSE(close.at(0).framing.keep_alive);

  RequestReader b;
  auto http10 = read_all(b, "HEAD / HTTP/1.0\r\n\r\n");
  CHECK_FALSE(http10.at(0).framing.keep_alive);
  CHECK(http10.at(0).framing.head);

  RequestReader c;
  auto kept = read_all(c, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  CHECK(kept.at(0).framing.keep_alive);
  CHECK(kept.at(0).framing.http10);

  RequestReader d;
  auto absolute = read_all(d, "GET http://h:1/v1/services?healthy=true HTTP/1.1\r\n\r\n");
  CHECK(absolute.at(0).request.path == "/v1/services");
  CHECK(absolute.at(0).request.query == "healthy=true");

  RequestReader e;
  auto upgrade = read_all(e, "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
  CHECK_FALSE(upgrade.at(0).framing.keep_alive);  // we speak no other protocol
}

TEST_CASE("request_reader: caps and malformed input", "[request_reader]") {
  CHECK(failure_of("GET / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n") == 413);
  CHECK(failure_of("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n") == 414);
  CHECK(failure_of("GET / HTTP/1.1\r\nX: " + std::string(17000, 'a') + "\r\n\r\n") == 431);
  CHECK(failure_of("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(failure_of("\x16\x03\x01\x02\x00\x01\x00") == 400);  // a TLS ClientHello
  CHECK(failure_of("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
  CHECK(failure_of("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == 400);

  // A chunked body has no length up front; its cap is enforced as it arrives.
  RequestReader r;
  std::vector<ReadRequest> out;
  const std::string head = "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  REQUIRE(r.read(head.data(), head.size(), out));
  const std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
  for (int i = 0; i < 4; ++i) {
    REQUIRE(r.read(chunk.data(), chunk.size(), out));
  }
  CHECK_FALSE(r.read(chunk.data(), chunk.size(), out));
  CHECK(r.failure_status() == 413);
  CHECK(out.empty());
  CHECK_FALSE(r.read("GET", 3, out));  // stays broken
}

TEST_CASE("request_reader: 100-continue is offered only while the body is awaited",
          "[request_reader]") {
  RequestReader r;
  std::vector<ReadRequest> out;
  const std::string head = "PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  REQUIRE(r.read(head.data(), head.size(), out));
  CHECK(r.take_continue());
  CHECK_FALSE(r.take_continue());  // once
  REQUIRE(r.read("{}", 2, out));
  CHECK(out.size() == 1);

  RequestReader whole;
  read_all(whole, head + "{}");
  CHECK_FALSE(whole.take_continue());  // the body came along: nothing to continue
}
