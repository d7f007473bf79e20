// http_message.cpp -- turns a Response into HTTP/1.1 bytes.
#include "api/http_message.hpp"

namespace srvd::api {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

namespace {

/// Appends `n` in decimal: std::to_string would build (and free) a string per header.
void append_number(std::string& out, uint64_t n) {
  char digits[20];
  size_t i = sizeof digits;
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(digits + i, sizeof digits - i);
}

}  // namespace

std::string serialize(const Response& response, const Framing& framing) {
  std::string out;
  serialize_to(out, response, framing);
  return out;
}

void serialize_to(std::string& out, const Response& response, const Framing& framing) {
  out.reserve(out.size() + 160 + (framing.head ? 0 : response.body.size()));
  out += "HTTP/1.1 ";
  append_number(out, static_cast<uint64_t>(response.status));
  out += ' ';
  out += reason_phrase(response.status);
  out += "\r\nContent-Type: ";
  out += response.content_type;
  out += "\r\nContent-Length: ";
  // HEAD announces the length the GET body would have (RFC 9110 §8.6).
  append_number(out, response.body.size());
  out += "\r\nX-Srvd-Index: ";
  append_number(out, response.index);
  out += "\r\n";
  if (!response.allow.empty()) {
    out += "Allow: ";
    out += response.allow;
    out += "\r\n";
  }
  if (!framing.keep_alive) {
    out += "Connection: close\r\n";
  } else if (framing.http10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!framing.head) {
    out += response.body;
  }
}

}  // namespace srvd::api
