// http_message.hpp -- a parsed HTTP request and the response the API returns for it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace srvd::api {

/// One request as the routes see it: the connection has already split the target and
/// enforced the size caps, so everything here is bounded.
struct Request {
  std::string method;  ///< upper-case token, e.g. "GET"
  std::string path;    ///< the target's path, not percent-decoded (names are DNS labels)
  std::string query;   ///< the target's query without '?', may be empty
  std::string body;
};

/// One response; the connection adds the status line, framing and connection headers.
struct Response {
  int status = 200;
  std::string body;    ///< JSON text unless content_type says otherwise
  uint64_t index = 0;  ///< the registry index when it was made: the X-Srvd-Index header
  std::string allow;   ///< the Allow header of a 405 (RFC 9110 §15.5.6), else empty
  /// The Content-Type header; JSON unless a route says otherwise (/metrics: Prometheus text).
  std::string_view content_type = "application/json";
};

/// The reason phrase for `status` ("OK", "Not Found", ...).
std::string_view reason_phrase(int status);

/// How the connection frames one response on the wire.
struct Framing {
  bool keep_alive = true;  ///< false adds "Connection: close"
  bool http10 = false;     ///< an HTTP/1.0 peer needs "Connection: keep-alive" to keep it
  bool head = false;       ///< HEAD: headers as for GET, no body (RFC 9110 §9.3.2)
};

/// The bytes of `response` as an HTTP/1.1 message, always with Content-Length.
std::string serialize(const Response& response, const Framing& framing);
/// The same bytes appended to `out`, so a connection can reuse one buffer for every response.
void serialize_to(std::string& out, const Response& response, const Framing& framing);

}  // namespace srvd::api
