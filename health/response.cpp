// response.cpp -- the status line for the verdict, http_parser for where a response ends.
#include "health/response.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "health/verdict.hpp"

namespace srvd::health {

const http_parser_settings ResponseReader::kSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = [](http_parser* p) {
    // A second message in the bytes of one response: the server sent what was not asked for,
    // so what comes next on this connection cannot be trusted to answer our next request.
    return self(p)->complete_ ? 1 : 0;
  };
  s.on_headers_complete = [](http_parser* p) { return self(p)->on_headers_complete(); };
  s.on_chunk_header = [](http_parser* p) { return self(p)->on_chunk_header(); };
  s.on_body = [](http_parser* p, const char*, size_t len) { return self(p)->on_body(len); };
  s.on_message_complete = [](http_parser* p) { return self(p)->on_message_complete(); };
  return s;
}();

ResponseReader::ResponseReader() { reset(); }

void ResponseReader::reset() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  verdict_.reset();
  line_size_ = 0;
  received_ = 0;
  body_ = 0;
  framing_ok_ = true;
  must_close_ = false;
  complete_ = false;
  done_ = Progress::more;
}

void ResponseReader::read_status_line(std::string_view bytes) {
  size_t take = std::min(bytes.size(), line_.size() - line_size_);
  std::memcpy(line_.data() + line_size_, bytes.data(), take);
  std::string_view fresh(line_.data() + line_size_, take);
  size_t before = line_size_;
  line_size_ += take;
  auto lf = fresh.find('\n');
  if (lf == std::string_view::npos) {
    if (line_size_ == line_.size()) {
      verdict_ = failure("HTTP: invalid response (no status line)");
      must_close_ = true;
    }
    return;
  }
  std::string_view line(line_.data(), before + lf);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  auto code = parse_status_line(line);
  if (code) {
    verdict_ = http_verdict(*code);
  } else {
    verdict_ = failure("HTTP: invalid response (no status line)");
    must_close_ = true;
  }
}

ResponseReader::Progress ResponseReader::feed(std::string_view bytes) {
  if (done_ != Progress::more || bytes.empty()) {
    return done_;
  }
  received_ += bytes.size();
  if (!verdict_) {
    read_status_line(bytes);
  }
  if (framing_ok_) {
    http_parser_execute(&parser_, &kSettings, bytes.data(), bytes.size());
    framing_ok_ = HTTP_PARSER_ERRNO(&parser_) == HPE_OK;
  }
  if (!verdict_) {
    return Progress::more;  // until the LF, the cap or the EOF, whatever http_parser thinks
  }
  if (!framing_ok_ || must_close_) {
    done_ = Progress::done_close;
  } else if (complete_) {
    done_ = Progress::done_keep;
  }
  return done_;
}

int ResponseReader::on_headers_complete() {
  // Keep only what HTTP/1.1 lets us keep (RFC 9112 §9.3): no "Connection: close", a body
  // whose end is marked (Content-Length, chunked, or none by status) rather than the EOF.
  // An HTTP/1.0 server gets a new connection each time, as it expects. A 1xx is not the final
  // response; the verdict is already taken from it, as before, so the rest is not waited for.
  bool keep = parser_.http_major == 1 && parser_.http_minor >= 1 &&
              http_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0 &&
              parser_.status_code >= 200;
  if (!keep) {
    must_close_ = true;
  } else if ((parser_.flags & F_CHUNKED) == 0 && parser_.content_length != ULLONG_MAX &&
             parser_.content_length > kMaxBody) {
    must_close_ = true;  // too much to read for a keep; closing is cheaper
  }
  return 0;
}

int ResponseReader::on_chunk_header() {
  if (parser_.content_length > kMaxBody - std::min(body_, kMaxBody)) {
    must_close_ = true;
  }
  return 0;
}

int ResponseReader::on_body(size_t len) {
  body_ += len;
  if (body_ > kMaxBody) {
    must_close_ = true;
  }
  return 0;
}

int ResponseReader::on_message_complete() {
  complete_ = true;
  return 0;
}

}  // namespace srvd::health
