// duration.cpp -- parsing and canonical printing of Go-style duration strings.
#include "registry/duration.hpp"

namespace srvd::registry {

std::optional<uint64_t> parse_duration(std::string_view s) {
  // A bound far above any sensible TTL or interval keeps the arithmetic clear of overflow.
  constexpr uint64_t kMaxMs = 10ULL * 366 * 24 * 3600 * 1000;
  if (s.empty()) {
    return std::nullopt;
  }
  uint64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    uint64_t n = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + static_cast<uint64_t>(s[i] - '0');
      if (n > kMaxMs) {
        return std::nullopt;
      }
      ++i;
      ++digits;
    }
    if (digits == 0) {
      return std::nullopt;
    }
    uint64_t unit = 0;
    if (s.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < s.size() && s[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < s.size() && s[i] == 'm') {
      unit = 60 * 1000;
      ++i;
    } else if (i < s.size() && s[i] == 'h') {
      unit = 3600 * 1000;
      ++i;
    } else {
      return std::nullopt;
    }
    if (n > kMaxMs / unit) {
      return std::nullopt;
    }
    total += n * unit;
    if (total > kMaxMs) {
      return std::nullopt;
    }
  }
  return total;
}

std::string format_duration(uint64_t ms) {
  if (ms == 0) {
    return "0s";
  }
  if (ms % 1000 != 0) {
    return std::to_string(ms) + "ms";  // "1500ms" reads better than "1s500ms"
  }
  std::string out;
  auto part = [&](uint64_t unit, const char* suffix) {
    if (ms >= unit) {
      out += std::to_string(ms / unit);
      out += suffix;
      ms %= unit;
    }
  };
  part(3600 * 1000, "h");
  part(60 * 1000, "m");
  part(1000, "s");
  return out;
}

}  // namespace srvd::registry
