// target.cpp -- parsing check targets into socket addresses and HTTP requests.
#include "health/target.hpp"

#include <uv.h>

#include <charconv>
#include <string_view>

namespace srvd::health {
namespace {

/// Splits "HOST:PORT" / "[V6]:PORT" / "HOST" (port then `default_port`) into an address.
std::optional<sockaddr_storage> parse_authority(std::string_view authority, int default_port,
                                                std::string& error) {
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 literal";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "expected :PORT after ]";
        return std::nullopt;
      }
      port_text = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  int port = default_port;
  if (!port_text.empty() || default_port < 0) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      error = "port must be 1-65535";
      return std::nullopt;
    }
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  std::string h(host);
  sockaddr_storage ss{};
  if (uv_ip4_addr(h.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(h.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0) {
    error = "host must be an IP address or localhost";
    return std::nullopt;
  }
  return ss;
}

}  // namespace

std::optional<Target> parse_target(const registry::CheckSpec& spec, std::string& error) {
  std::string_view text = spec.target;
  Target t;
  if (spec.kind == registry::CheckSpec::Kind::tcp) {
    auto addr = parse_authority(text, -1, error);
    if (!addr) {
      return std::nullopt;
    }
    t.address = *addr;
    return t;
  }
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    error = "URL must start with http://";
    return std::nullopt;
  }
  text.remove_prefix(kScheme.size());
  auto slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "/" : text.substr(slash);
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {  // keeps the request line intact
      error = "URL path must not contain spaces or control characters";
      return std::nullopt;
    }
  }
  auto addr = parse_authority(authority, 80, error);
  if (!addr) {
    return std::nullopt;
  }
  t.address = *addr;
  // RFC 9112 §3.2: Host is mandatory in HTTP/1.1 and carries the authority as in the URL.
  t.request.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(authority);
  // No "Connection: close": HTTP/1.1 keeps the connection for the next run (RFC 9112 §9.3).
  t.request.append("\r\nUser-Agent: srvd-check\r\nAccept: */*\r\n\r\n");
  return t;
}

}  // namespace srvd::health
