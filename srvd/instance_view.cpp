// instance_view.cpp -- how the client commands show instances: one-line summaries and tables.
#include "srvd/instance_view.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace srvd {
namespace {

/// A field's text, or "" when it is absent or not a string (older servers lack some).
std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// Control characters from a check's output would break the table's rows.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  return s;
}

}  // namespace

std::string address_port(const nlohmann::json& instance) {
  const std::string address = text(instance, "address");
  const auto port = instance.value("port", nlohmann::json()).dump();
  return address.find(':') != std::string::npos ? "[" + address + "]:" + port
                                                : address + ":" + port;
}

std::string status_text(const nlohmann::json& instance) {
  const std::string status = text(instance, "status");
  std::string why = status == "maintenance" ? text(instance, "status_reason") : std::string();
  if (why.empty()) {
    why = text(instance, "check_output");
  }
  return why.empty() ? status : status + " (" + one_line(why) + ")";
}

std::string instance_table(const nlohmann::json& services) {
  using Row = std::array<std::string, 6>;
  std::vector<Row> rows{{"SERVICE", "ID", "ADDRESS", "STATUS", "SOURCE", "OUTPUT"}};
  for (const auto& service : services) {
    for (const auto& inst : service.value("instances", nlohmann::json::array())) {
      std::string output =
          text(inst, "status") == "maintenance" ? text(inst, "status_reason") : std::string();
      if (output.empty()) {
        output = text(inst, "check_output");
      }
      rows.push_back({text(inst, "service"), text(inst, "id"), address_port(inst),
                      text(inst, "status"), text(inst, "source"), one_line(output)});
    }
  }
  std::array<size_t, 6> width{};
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) {
        line.append(width[c] - row[c].size() + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace srvd
