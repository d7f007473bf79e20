// http_client.hpp -- a blocking HTTP/1.1 client of srvd's API for the client subcommands (libcurl).
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace srvd {

/// What the server answered: status, body, and its X-Srvd-Index header (0 when absent).
struct HttpReply {
  long status = 0;
  std::string body;
  uint64_t index = 0;
};

/// One connection to one server, reused across calls (keep-alive), so a `watch` loop does
/// not reconnect for every long-poll. Not thread-safe; used by one command at a time.
class HttpClient {
 public:
  /// `host_port` as `--http` takes it ("127.0.0.1:8054", "[::1]:8054").
  explicit HttpClient(std::string host_port);

  /// Sends `method path` with `body` as JSON (no body when nullopt). Returns the reply, or
  /// nullopt with `error` set when no HTTP answer came (refused, timeout, ...).
  std::optional<HttpReply> call(std::string_view method, std::string_view path,
                                const std::optional<std::string>& body, long timeout_ms,
                                std::string& error);

  /// "http://127.0.0.1:8054", for messages.
  const std::string& base_url() const { return base_url_; }

 private:
  struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::string base_url_;
  std::unique_ptr<CURL, CurlFree> curl_;
};

/// Percent-encodes a path segment (service names and ids are labels, but a user may type
/// anything; the server then answers with its own error instead of a mangled URL).
std::string url_segment(std::string_view s);

}  // namespace srvd
