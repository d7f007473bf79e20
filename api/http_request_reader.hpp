// http_request_reader.hpp -- bytes in, HTTP/1.x requests out, with http_parser and size caps.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <vector>

#include "api/http_message.hpp"

namespace srvd::api {

/// One request read off the wire, with how its response must be framed.
struct ReadRequest {
  Request request;
  Framing framing;
  std::string bad_target;  ///< non-empty: the target could not be split; answer 400 with this
};

/// Reads the requests of one connection. Data callbacks may deliver an item in pieces, and
/// their pointers are valid only during the callback, so everything is copied here with caps
/// (STYLE.md §27). Not copyable or movable: http_parser points back at it.
class RequestReader {
 public:
  static constexpr size_t kMaxBody = 64 * 1024;         ///< 413
  static constexpr size_t kMaxTarget = 8 * 1024;        ///< 414
  static constexpr size_t kMaxHeaderBytes = 16 * 1024;  ///< 431 (field names and values)

  RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  /// Parses `len` more bytes and appends each completed request to `out`. Returns false once
  /// the stream cannot be framed any more; failure() is then the response to send before
  /// closing. Bytes after a request that does not keep the connection alive are an error too,
  /// so callers stop at such a request. Never throws.
  bool read(const char* data, size_t len, std::vector<ReadRequest>& out);

  /// The 4xx/5xx to answer a broken stream with (status and message).
  int failure_status() const { return fail_status_; }
  const std::string& failure_message() const { return fail_message_; }

  /// True once per request whose headers sent `Expect: 100-continue` while its body has not
  /// arrived yet (RFC 9110 §10.1.1): the caller may then send "100 Continue".
  bool take_continue();

 private:
  static const http_parser_settings kSettings;
  static RequestReader* self(http_parser* p) { return static_cast<RequestReader*>(p->data); }

  int on_message_begin();
  int on_target(const char* at, size_t len);
  int on_header_field(const char* at, size_t len);
  int on_header_value(const char* at, size_t len);
  int on_headers_complete();
  int on_body(const char* at, size_t len);
  int on_message_complete();
  void end_header();
  int fail(int status, std::string message);

  http_parser parser_{};
  std::vector<ReadRequest>* out_ = nullptr;  ///< valid during read() only
  std::string method_, target_, body_, field_, value_;
  size_t header_bytes_ = 0;
  bool in_value_ = false;
  bool expect_continue_ = false;
  bool continue_ready_ = false;
  int fail_status_ = 0;
  std::string fail_message_;
};

}  // namespace srvd::api
