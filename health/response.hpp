// response.hpp -- reading one HTTP/1.x response off a check's connection: the verdict and
// whether the connection can carry the next run.
#pragma once

#include <http_parser.h>

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "registry/health.hpp"

namespace srvd::health {

/// Reads the response to one check request. The verdict comes from the status line alone (the
/// first line, as health/README.md's table says); http_parser frames the rest (headers, then
/// a body by Content-Length or chunked encoding, RFC 9112 §6) only to know where the response
/// ends, so the connection can be kept for the next run. Nothing of the body is stored: it is
/// counted, and a body over kMaxBody ends the reading (the connection is then closed, the
/// verdict stands). Not copyable: http_parser points back at it. Allocation-free.
class ResponseReader {
 public:
  /// The most body a kept connection reads; a health endpoint's body is a few bytes, and more
  /// than this costs more than a new connection.
  static constexpr size_t kMaxBody = 64 * 1024;
  /// The status line is short (RFC 9112 §4); more than this without a LF is not HTTP.
  static constexpr size_t kMaxStatusLine = 256;

  enum class Progress {
    more,            ///< the response is not over (or its status line not yet seen)
    done_keep,       ///< complete; the connection may carry the next request
    done_close,      ///< the verdict is known; the connection must be closed
  };

  ResponseReader();
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  /// Forgets the previous response: call before each request.
  void reset();
  /// Takes the next bytes of the response. Once it says done_*, verdict() is set and later
  /// bytes are not looked at.
  Progress feed(std::string_view bytes);
  /// Set once the status line is read (or known not to be one).
  const std::optional<registry::CheckResult>& verdict() const { return verdict_; }
  /// How many bytes of this response arrived: zero means the peer said nothing at all.
  size_t received() const { return received_; }

 private:
  static const http_parser_settings kSettings;
  static ResponseReader* self(http_parser* p) { return static_cast<ResponseReader*>(p->data); }
  void read_status_line(std::string_view bytes);
  int on_headers_complete();
  int on_chunk_header();
  int on_body(size_t len);
  int on_message_complete();

  http_parser parser_{};
  std::optional<registry::CheckResult> verdict_;
  std::array<char, kMaxStatusLine> line_{};
  size_t line_size_ = 0;
  size_t received_ = 0;
  size_t body_ = 0;
  bool framing_ok_ = true;  ///< http_parser accepted everything so far
  bool must_close_ = false; ///< the headers or the body size forbid keeping the connection
  bool complete_ = false;
  Progress done_ = Progress::more;
};

}  // namespace srvd::health
