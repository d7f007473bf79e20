// test_health_response.cpp -- reading check responses without sockets: verdicts, where a
// response ends, and when a connection may carry the next run.
#include <catch2/catch.hpp>
#include <string>

#include "health/response.hpp"

using namespace srvd;
using health::ResponseReader;
using Progress = ResponseReader::Progress;
using registry::Status;

namespace {

/// Feeds `bytes` whole, then again one byte at a time (a response may come in any pieces);
/// both must end the same. Returns the progress after the last byte.
Progress feed_both_ways(const std::string& bytes, std::string& output) {
  ResponseReader whole;
  Progress a = whole.feed(bytes);
  ResponseReader bytewise;
  Progress b = Progress::more;
  for (char c : bytes) {
    b = bytewise.feed(std::string_view(&c, 1));
  }
  CHECK(a == b);
  output = whole.verdict() ? whole.verdict()->output : "";
  CHECK(output == (bytewise.verdict() ? bytewise.verdict()->output : ""));
  return a;
}

}  // namespace

TEST_CASE("health response: where a response ends and whether the connection is kept",
          "[health]") {
  struct Case {
    std::string bytes;
    Progress progress;
    std::string output;
  };
  auto c = GENERATE(
      Case{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Progress::done_keep, "HTTP 200"},
      Case{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no", Progress::more, "HTTP 200"},
      Case{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Progress::done_keep, "HTTP 200"},
      Case{"HTTP/1.1 204 No Content\r\n\r\n", Progress::done_keep, "HTTP 204"},
      Case{"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
           "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n",
           Progress::done_keep, "HTTP 503"},
      Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
           Progress::more, "HTTP 200"},
      Case{"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n", Progress::done_keep,
           "HTTP 429"},
      // Not reusable: the server says close, speaks HTTP/1.0, or ends the body by closing.
      Case{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
           Progress::done_close, "HTTP 200"},
      Case{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Progress::done_close, "HTTP 200"},
      Case{"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
           Progress::done_close, "HTTP 200"},
      Case{"HTTP/1.1 200 OK\r\n\r\n", Progress::done_close, "HTTP 200"},
      Case{"HTTP/1.1 100 Continue\r\n\r\n", Progress::done_close, "HTTP 100"},
      // More than kMaxBody: closed as soon as that is known; the verdict stands.
      Case{"HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", Progress::done_close, "HTTP 200"},
      Case{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n",
           Progress::done_close, "HTTP 200"},
      // Framing http_parser refuses: not reused either.
      Case{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", Progress::done_close, "HTTP 200"},
      // What is not a status line is critical as before, and the connection goes.
      Case{"hello there\r\n", Progress::done_close, "HTTP: invalid response (no status line)"},
      Case{std::string(300, 'x'), Progress::done_close,
           "HTTP: invalid response (no status line)"},
      Case{"SSH-2.0-OpenSSH_9.2", Progress::more, ""});
  std::string output;
  CHECK(feed_both_ways(c.bytes, output) == c.progress);
  CHECK(output == c.output);
}

TEST_CASE("health response: a chunked body over the cap in small chunks closes", "[health]") {
  ResponseReader r;
  CHECK(r.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == Progress::more);
  std::string chunk = "400\r\n" + std::string(0x400, 'a') + "\r\n";
  Progress p = Progress::more;
  size_t fed = 0;
  while (p == Progress::more && fed < 2 * ResponseReader::kMaxBody) {
    p = r.feed(chunk);
    fed += 0x400;
  }
  CHECK(p == Progress::done_close);
  CHECK(fed > ResponseReader::kMaxBody);
  CHECK(fed <= ResponseReader::kMaxBody + 0x400);
  REQUIRE(r.verdict());
  CHECK(r.verdict()->status == Status::healthy);
}

TEST_CASE("health response: reset() reads the next response on the same connection",
          "[health]") {
  ResponseReader r;
  CHECK(r.received() == 0);
  CHECK(r.feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc") == Progress::done_keep);
  CHECK(r.verdict()->output == "HTTP 200");
  r.reset();
  CHECK_FALSE(r.verdict());
  CHECK(r.received() == 0);
  CHECK(r.feed("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n") == Progress::done_keep);
  CHECK(r.verdict()->status == Status::critical);
  CHECK(r.verdict()->output == "HTTP 503");
}

TEST_CASE("health response: bytes after the response forbid keeping the connection",
          "[health]") {
  // In the same read; in a later one the idle connection's watch closes it (Probe).
  ResponseReader r;
  CHECK(r.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n") ==
        Progress::done_close);
  CHECK(r.verdict()->output == "HTTP 200");
}
