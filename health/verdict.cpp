// verdict.cpp -- HTTP status lines and the check verdicts derived from them.
#include "health/verdict.hpp"

#include <string>

namespace srvd::health {

std::optional<int> parse_status_line(std::string_view line) {
  // HTTP-version SP status-code SP [reason-phrase]; the version is "HTTP/" DIGIT "." DIGIT.
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[6] != '.' || line[8] != ' ') {
    return std::nullopt;
  }
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(line[5]) || !digit(line[7]) || !digit(line[9]) || !digit(line[10]) ||
      !digit(line[11]) || (line.size() > 12 && line[12] != ' ')) {
    return std::nullopt;
  }
  return (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
}

registry::CheckResult http_verdict(int status_code) {
  registry::Status s = registry::Status::critical;
  if (status_code >= 200 && status_code <= 299) {
    s = registry::Status::healthy;
  } else if (status_code == 429) {
    s = registry::Status::warning;
  }
  return {s, "HTTP " + std::to_string(status_code)};
}

registry::CheckResult failure(std::string output) {
  return {registry::Status::critical, std::move(output)};
}

}  // namespace srvd::health
