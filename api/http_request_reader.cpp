// http_request_reader.cpp -- bytes in, HTTP/1.x requests out, with http_parser and size caps.
#include "api/http_request_reader.hpp"

#include <climits>
#include <string_view>

namespace srvd::api {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// Splits an origin-form (or absolute-form) target into path and query; false if malformed.
bool split_target(const std::string& target, Request& out) {
  http_parser_url url{};
  http_parser_url_init(&url);
  if (http_parser_parse_url(target.data(), target.size(), 0, &url) != 0 ||
      (url.field_set & (1 << UF_PATH)) == 0) {
    return false;
  }
  const auto field = [&](int f) {
    return target.substr(url.field_data[f].off, url.field_data[f].len);
  };
  out.path = field(UF_PATH);
  if ((url.field_set & (1 << UF_QUERY)) != 0) {
    out.query = field(UF_QUERY);
  }
  return true;
}

std::string too_large(std::string_view what, size_t limit) {
  return std::string(what) + " is larger than " + std::to_string(limit) + " bytes";
}

}  // namespace

// Captureless noexcept trampolines: nothing may unwind into http_parser's C code.
const http_parser_settings RequestReader::kSettings = [] {
  http_parser_settings s{};
  s.on_message_begin = [](http_parser* p) noexcept { return self(p)->on_message_begin(); };
  s.on_url = [](http_parser* p, const char* at, size_t n) noexcept {
    return self(p)->on_target(at, n);
  };
  s.on_header_field = [](http_parser* p, const char* at, size_t n) noexcept {
    return self(p)->on_header_field(at, n);
  };
  s.on_header_value = [](http_parser* p, const char* at, size_t n) noexcept {
    return self(p)->on_header_value(at, n);
  };
  s.on_headers_complete = [](http_parser* p) noexcept { return self(p)->on_headers_complete(); };
  s.on_body = [](http_parser* p, const char* at, size_t n) noexcept {
    return self(p)->on_body(at, n);
  };
  s.on_message_complete = [](http_parser* p) noexcept { return self(p)->on_message_complete(); };
  return s;
}();

RequestReader::RequestReader() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

bool RequestReader::read(const char* data, size_t len, std::vector<ReadRequest>& out) {
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
    return false;
  }
  out_ = &out;
  http_parser_execute(&parser_, &kSettings, data, len);
  out_ = nullptr;
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_OK) {
    return true;
  }
  if (fail_status_ == 0) {
    fail(400, std::string("malformed HTTP request: ") + http_errno_description(err));
  }
  return false;
}

bool RequestReader::take_continue() {
  const bool ready = continue_ready_;
  continue_ready_ = false;
  return ready;
}

int RequestReader::fail(int status, std::string message) {
  fail_status_ = status;
  fail_message_ = std::move(message);
  return -1;  // any non-zero return stops http_parser with an HPE_CB_* error
}

int RequestReader::on_message_begin() {
  method_.clear();
  target_.clear();
  body_.clear();
  field_.clear();
  value_.clear();
  header_bytes_ = 0;
  in_value_ = false;
  expect_continue_ = false;
  continue_ready_ = false;
  return 0;
}

int RequestReader::on_target(const char* at, size_t len) {
  if (target_.size() + len > kMaxTarget) {
    return fail(414, too_large("request target", kMaxTarget));
  }
  target_.append(at, len);
  return 0;
}

int RequestReader::on_header_field(const char* at, size_t len) {
  if (in_value_) {
    end_header();
  }
  header_bytes_ += len;
  if (header_bytes_ > kMaxHeaderBytes) {
    return fail(431, too_large("request header section", kMaxHeaderBytes));
  }
  field_.append(at, len);
  return 0;
}

int RequestReader::on_header_value(const char* at, size_t len) {
  in_value_ = true;
  header_bytes_ += len;
  if (header_bytes_ > kMaxHeaderBytes) {
    return fail(431, too_large("request header section", kMaxHeaderBytes));
  }
  value_.append(at, len);
  return 0;
}

void RequestReader::end_header() {
  // Only Expect matters here: http_parser itself handles Content-Length, Transfer-Encoding
  // and Connection.
  if (iequals(field_, "expect") && iequals(trim(value_), "100-continue")) {
    expect_continue_ = true;
  }
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int RequestReader::on_headers_complete() {
  if (in_value_) {
    end_header();
  }
  method_ = http_method_str(static_cast<http_method>(parser_.method));
  if (parser_.http_major != 1) {
    return fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  const uint64_t length = parser_.content_length;
  if (length != ULLONG_MAX && length > kMaxBody) {
    // Refused before the body arrives, so a client that sent Expect: 100-continue never sends it.
    return fail(413, too_large("request body", kMaxBody));
  }
  const bool body_follows =
      (parser_.flags & F_CHUNKED) != 0 || (length != ULLONG_MAX && length > 0);
  continue_ready_ = expect_continue_ && body_follows && parser_.http_minor >= 1;
  return 0;
}

int RequestReader::on_body(const char* at, size_t len) {
  continue_ready_ = false;  // the client did not wait for it
  // Chunked bodies have no length up front, so the cap is enforced here too.
  if (body_.size() + len > kMaxBody) {
    return fail(413, too_large("request body", kMaxBody));
  }
  body_.append(at, len);
  return 0;
}

int RequestReader::on_message_complete() {
  continue_ready_ = false;
  ReadRequest r;
  r.request.method = std::move(method_);
  r.request.body = std::move(body_);
  if (!split_target(target_, r.request)) {
    r.bad_target = "malformed request target";
  }
  // An Upgrade or CONNECT hands the stream to another protocol; we speak none, so close.
  r.framing.keep_alive = http_should_keep_alive(&parser_) != 0 && parser_.upgrade == 0;
  r.framing.http10 = parser_.http_major == 1 && parser_.http_minor == 0;
  r.framing.head = parser_.method == HTTP_HEAD;
  out_->push_back(std::move(r));
  return 0;
}

}  // namespace srvd::api
