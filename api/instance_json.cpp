// instance_json.cpp -- Instance and request bodies to and from JSON, checking types only.
#include "api/instance_json.hpp"

#include <charconv>
#include <ctime>
#include <limits>

#include "registry/duration.hpp"
#include "registry/json_text.hpp"

namespace srvd::api {
namespace {

using nlohmann::json;
using registry::append_json_string;
using registry::append_json_string_map;
using registry::append_json_strings;

/// Echoes user input in an error message without letting a 60 KiB value through.
std::string echo(std::string_view s) {
  constexpr size_t kMaxEcho = 64;
  std::string out = "\"";
  out += s.substr(0, kMaxEcho);
  out += s.size() > kMaxEcho ? "...\"" : "\"";
  return out;
}

std::string field_error(std::string_view field, std::string_view what) {
  return "field " + echo(field) + " " + std::string(what);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

/// Reads a JSON integer in [min, max]; floats such as 80.0 are refused, not truncated.
std::string read_u16(const json& v, std::string_view field, uint16_t min, uint16_t& out) {
  const std::string range = "must be an integer from " + std::to_string(min) + " to 65535";
  if (!v.is_number_integer()) {
    return field_error(field, range);  // floats and non-numbers
  }
  // Parsed JSON stores non-negative integers unsigned; built JSON may hold them signed.
  const bool negative = !v.is_number_unsigned() && v.get<int64_t>() < 0;
  const uint64_t n = negative ? 0 : v.get<uint64_t>();
  if (negative || n < min || n > 65535) {
    return field_error(field, range);
  }
  out = static_cast<uint16_t>(n);
  return {};
}

std::string read_string(const json& v, std::string_view field, std::string& out) {
  if (!v.is_string()) {
    return field_error(field, "must be a string");
  }
  out = v.get<std::string>();
  return {};
}

std::string read_tags(const json& v, std::vector<std::string>& out) {
  if (!v.is_array()) {
    return field_error("tags", "must be an array of strings");
  }
  out.clear();
  for (const auto& tag : v) {
    if (!tag.is_string()) {
      return field_error("tags", "must be an array of strings");
    }
    out.push_back(tag.get<std::string>());
  }
  return {};
}

std::string read_meta(const json& v, std::map<std::string, std::string>& out) {
  if (!v.is_object()) {
    return field_error("meta", "must be an object with string values");
  }
  out.clear();
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string()) {
      return field_error("meta",
                         "must be an object with string values; " + echo(key) + " is not a string");
    }
    out.emplace(key, value.get<std::string>());
  }
  return {};
}

/// A Go-style duration string ("10s", "1m30s", "500ms") into milliseconds.
template <class T>
std::string read_duration(const json& v, std::string_view field, T& out) {
  auto ms = v.is_string() ? registry::parse_duration(v.get<std::string>()) : std::nullopt;
  if (!ms || *ms > std::numeric_limits<T>::max()) {
    return field_error(field, "must be a duration such as \"500ms\", \"10s\", \"1m\" or \"1h\"");
  }
  out = static_cast<T>(*ms);
  return {};
}

std::string read_check(const json& v, registry::CheckSpec& check) {
  if (!v.is_object()) {
    return field_error("check", "must be an object with \"http\" or \"tcp\"");
  }
  if (v.contains("http") == v.contains("tcp")) {
    return field_error("check", "must have exactly one of \"http\" and \"tcp\"");
  }
  for (const auto& [key, value] : v.items()) {
    std::string err;
    if (key == "http" || key == "tcp") {
      check.kind = key == "http" ? registry::CheckSpec::Kind::http : registry::CheckSpec::Kind::tcp;
      err = read_string(value, "check." + key, check.target);
    } else if (key == "interval") {
      err = read_duration(value, "check.interval", check.interval_ms);
    } else if (key == "timeout") {
      err = read_duration(value, "check.timeout", check.timeout_ms);
    } else if (key == "rise") {
      err = read_u16(value, "check.rise", 1, check.rise);
    } else if (key == "fall") {
      err = read_u16(value, "check.fall", 1, check.fall);
    } else {
      err = "unknown field " + echo("check." + key);
    }
    if (!err.empty()) {
      return err;
    }
  }
  if (auto err = registry::validate_check(check); !err.empty()) {
    return err;
  }
  return {};
}

/// The URL names the instance; a body may repeat the name but not contradict it.
std::string check_same(const json& v, std::string_view field, std::string_view url_value) {
  std::string given;
  if (auto err = read_string(v, field, given); !err.empty()) {
    return err;
  }
  if (!iequals(given, url_value)) {
    return field_error(field, echo(given) + " does not match the URL's " + echo(url_value));
  }
  return {};
}

std::string read_instance_field(const std::string& key, const json& v, std::string_view service,
                                std::string_view id, registry::Instance& inst) {
  if (key == "address") {
    std::string text;
    if (auto err = read_string(v, key, text); !err.empty()) {
      return err;
    }
    auto address = registry::parse_address(text);
    if (!address) {
      return field_error(key, echo(text) + " is not an IPv4 or IPv6 address");
    }
    inst.address = std::move(*address);
    return {};
  }
  if (key == "port") {
    return read_u16(v, key, 1, inst.port);
  }
  if (key == "protocol") {
    auto p = v.is_string() ? registry::parse_protocol(v.get<std::string>()) : std::nullopt;
    if (!p) {
      return field_error(key, "must be \"tcp\" or \"udp\"");
    }
    inst.protocol = *p;
    return {};
  }
  if (key == "priority") {
    return read_u16(v, key, 0, inst.priority);
  }
  if (key == "weight") {
    return read_u16(v, key, 0, inst.weight);
  }
  if (key == "tags") {
    return read_tags(v, inst.tags);
  }
  if (key == "meta") {
    return read_meta(v, inst.meta);
  }
  if (key == "ttl") {
    return read_duration(v, key, inst.ttl_ms);
  }
  if (key == "deregister_after") {
    return read_duration(v, key, inst.deregister_after_ms);
  }
  if (key == "check") {
    registry::CheckSpec check;
    if (auto err = read_check(v, check); !err.empty()) {
      return err;
    }
    inst.check = std::move(check);
    return {};
  }
  if (key == "service") {
    return check_same(v, key, service);
  }
  if (key == "id") {
    return check_same(v, key, id);
  }
  return "unknown field " + echo(key);
}

}  // namespace

std::string format_time_ms(int64_t unix_ms) {
  std::string out;
  append_time_ms(out, unix_ms);
  return out;
}

void append_time_ms(std::string& out, int64_t unix_ms) {
  // Floor division keeps pre-1970 times (never expected, but not garbage either) correct.
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  // gmtime_r and strftime cost more than the rest of an instance's JSON; the seconds part
  // only changes once a second.
  thread_local int64_t cached_secs = 0;
  thread_local std::string cached = "1970-01-01T00:00:00";
  if (secs != cached_secs) {
    const auto t = static_cast<time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    cached.assign(buf, n);
    cached_secs = secs;
  }
  out += cached;
  const char frac[6] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10), 'Z', '\0'};
  out.append(frac, 5);
}

nlohmann::ordered_json check_to_json(const registry::CheckSpec& check) {
  return nlohmann::ordered_json{
      {check.kind == registry::CheckSpec::Kind::http ? "http" : "tcp", check.target},
      {"interval", registry::format_duration(check.interval_ms)},
      {"timeout", registry::format_duration(check.timeout_ms)},
      {"rise", check.rise},
      {"fall", check.fall},
  };
}

nlohmann::ordered_json instance_to_json(const registry::Instance& inst) {
  auto time_or_null = [](int64_t ms) {
    return ms == 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(format_time_ms(ms));
  };
  nlohmann::ordered_json j{
      {"service", inst.service},
      {"id", inst.id},
      {"address", inst.address.text},
      {"port", inst.port},
      {"protocol", std::string(registry::to_string(inst.protocol))},
      {"priority", inst.priority},
      {"weight", inst.weight},
      {"tags", inst.tags},
      {"meta", inst.meta},
      {"status", std::string(registry::to_string(inst.status))},
      {"status_reason", inst.status_reason},
      {"registered_at", format_time_ms(inst.registered_at_ms)},
      {"updated_at", format_time_ms(inst.updated_at_ms)},
      {"create_index", inst.create_index},
      {"modify_index", inst.modify_index},
      {"source", std::string(registry::to_string(inst.source))},
  };
  // Issue 4: health and lifecycle; optional settings appear only when set.
  if (inst.ttl_ms != 0) {
    j["ttl"] = registry::format_duration(inst.ttl_ms);
  }
  if (inst.deregister_after_ms != 0) {
    j["deregister_after"] = registry::format_duration(inst.deregister_after_ms);
  }
  if (inst.check) {
    j["check"] = check_to_json(*inst.check);
  }
  j["check_output"] = inst.check_output;
  j["checked_at"] = time_or_null(inst.checked_at_ms);
  j["status_changed_at"] = time_or_null(inst.status_changed_at_ms);
  j["heartbeat_at"] = time_or_null(inst.heartbeat_at_ms);
  return j;
}

namespace {

void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;  // our own keys: plain ASCII
  out += "\":";
}

/// The decimal digits of `n`, as std::to_string gives them, without the temporary string.
void append_uint(std::string& out, uint64_t n) {
  char buf[20];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, static_cast<size_t>(end - buf));
}

void append_time_or_null(std::string& out, int64_t ms) {
  if (ms == 0) {
    out += "null";
  } else {
    out += '"';
    append_time_ms(out, ms);
    out += '"';
  }
}

}  // namespace

void append_instance_json(std::string& out, const registry::Instance& inst) {
  // Every write's response and every list read runs this: the constant text between values
  // goes in one append each (key, quotes and commas together), numbers without a temporary
  // string, and our own names (protocol, status, source) without an escape scan.
  using namespace std::string_view_literals;
  out += "{\"service\":"sv;
  append_json_string(out, inst.service);
  out += ",\"id\":"sv;
  append_json_string(out, inst.id);
  out += ",\"address\":"sv;
  append_json_string(out, inst.address.text);
  out += ",\"port\":"sv;
  append_uint(out, inst.port);
  out += ",\"protocol\":\""sv;
  out += registry::to_string(inst.protocol);
  out += "\",\"priority\":"sv;
  append_uint(out, inst.priority);
  out += ",\"weight\":"sv;
  append_uint(out, inst.weight);
  out += ",\"tags\":"sv;
  append_json_strings(out, inst.tags);
  out += ",\"meta\":"sv;
  append_json_string_map(out, inst.meta);
  out += ",\"status\":\""sv;
  out += registry::to_string(inst.status);
  out += "\",\"status_reason\":"sv;
  append_json_string(out, inst.status_reason);
  // A time has nothing to escape: quoted as is, the bytes append_json_string would give.
  out += ",\"registered_at\":\""sv;
  append_time_ms(out, inst.registered_at_ms);
  out += "\",\"updated_at\":\""sv;
  append_time_ms(out, inst.updated_at_ms);
  out += "\",\"create_index\":"sv;
  append_uint(out, inst.create_index);
  out += ",\"modify_index\":"sv;
  append_uint(out, inst.modify_index);
  out += ",\"source\":\""sv;
  out += registry::to_string(inst.source);
  out += "\","sv;
  if (inst.ttl_ms != 0) {
    append_key(out, "ttl");
    append_json_string(out, registry::format_duration(inst.ttl_ms));
    out += ',';
  }
  if (inst.deregister_after_ms != 0) {
    append_key(out, "deregister_after");
    append_json_string(out, registry::format_duration(inst.deregister_after_ms));
    out += ',';
  }
  if (inst.check) {
    const auto& c = *inst.check;
    append_key(out, "check");
    out += '{';
    append_key(out, c.kind == registry::CheckSpec::Kind::http ? "http" : "tcp");
    append_json_string(out, c.target);
    out += ',';
    append_key(out, "interval");
    append_json_string(out, registry::format_duration(c.interval_ms));
    out += ',';
    append_key(out, "timeout");
    append_json_string(out, registry::format_duration(c.timeout_ms));
    out += ',';
    append_key(out, "rise");
    append_uint(out, c.rise);
    out += ',';
    append_key(out, "fall");
    append_uint(out, c.fall);
    out += "},";
  }
  out += "\"check_output\":"sv;
  append_json_string(out, inst.check_output);
  out += ",\"checked_at\":"sv;
  append_time_or_null(out, inst.checked_at_ms);
  out += ",\"status_changed_at\":"sv;
  append_time_or_null(out, inst.status_changed_at_ms);
  out += ",\"heartbeat_at\":"sv;
  append_time_or_null(out, inst.heartbeat_at_ms);
  out += '}';
}

Parsed<registry::Instance> instance_from_json(const json& body, std::string_view service,
                                              std::string_view id) {
  if (!body.is_object()) {
    return std::string("request body must be a JSON object");
  }
  registry::Instance inst;
  inst.service = std::string(service);
  inst.id = std::string(id);
  for (const auto& [key, value] : body.items()) {
    if (auto err = read_instance_field(key, value, service, id, inst); !err.empty()) {
      return err;
    }
  }
  if (!body.contains("address")) {
    return std::string("missing field \"address\"");
  }
  if (!body.contains("port")) {
    return std::string("missing field \"port\"");
  }
  return inst;
}

Parsed<StatusChange> status_from_json(const json& body) {
  if (!body.is_object()) {
    return std::string("request body must be a JSON object");
  }
  StatusChange change;
  for (const auto& [key, value] : body.items()) {
    if (key == "status") {
      auto s = value.is_string() ? registry::parse_status(value.get<std::string>()) : std::nullopt;
      if (!s) {
        return field_error(key,
                           "must be one of \"healthy\", \"warning\", \"critical\", "
                           "\"maintenance\"");
      }
      change.status = *s;
    } else if (key == "reason") {
      if (auto err = read_string(value, key, change.reason); !err.empty()) {
        return err;
      }
    } else {
      return "unknown field " + echo(key);
    }
  }
  if (!body.contains("status")) {
    return std::string("missing field \"status\"");
  }
  return change;
}

}  // namespace srvd::api
