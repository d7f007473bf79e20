// services_file.cpp -- `--services FILE`: instances registered from a JSON file (start, SIGHUP).
#include "srvd/services_file.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/instance_json.hpp"

namespace srvd {
namespace {

using nlohmann::json;
using registry::Instance;
using Parsed = std::variant<std::vector<Instance>, std::string>;

/// Keeps a pasted 10 KB value out of a one-line message.
std::string echo(std::string_view s) {
  constexpr size_t kMax = 64;
  return "\"" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "...\"" : "\"");
}

/// An object may hold only `keys`; a misspelt one is an error, not silently ignored.
std::string unknown_key(const json& object, std::initializer_list<std::string_view> keys) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (auto k : keys) {
      known = known || key == k;
    }
    if (!known) {
      return "unknown field " + echo(key);
    }
  }
  return {};
}

/// True when applying `entry` over `current` would change nothing a registration sets, so
/// the instance is left alone and keeps its health state (and is not counted as a heartbeat).
bool same_entry(const Instance& current, const Instance& entry) {
  return current.source == entry.source && current.address == entry.address &&
         current.port == entry.port && current.protocol == entry.protocol &&
         current.priority == entry.priority && current.weight == entry.weight &&
         current.tags == entry.tags && current.meta == entry.meta &&
         current.ttl_ms == entry.ttl_ms &&
         current.deregister_after_ms == entry.deregister_after_ms && current.check == entry.check;
}

/// One instance entry into a validated Instance; an error message (without the entry's
/// position, which the caller adds) otherwise.
std::variant<Instance, std::string> parse_entry(const json& e, const std::string& service,
                                                const registry::Registry& registry) {
  auto parsed = api::instance_from_json(e, service, e["id"].get<std::string>());
  if (auto* err = std::get_if<std::string>(&parsed)) {
    return *err;
  }
  Instance inst = std::move(std::get<Instance>(parsed));
  inst.source = registry::Source::file;
  auto checked = registry.validate(std::move(inst));
  if (auto* rej = std::get_if<registry::Rejection>(&checked)) {
    return rej->message;
  }
  return std::move(std::get<Instance>(checked));
}

Parsed parse_document(const json& doc, const std::string& file,
                      const registry::Registry& registry) {
  if (!doc.is_object() || !doc.contains("services") || !doc["services"].is_array()) {
    return file + ": expected an object {\"services\": [...]}";
  }
  if (auto err = unknown_key(doc, {"services"}); !err.empty()) {
    return file + ": " + err;
  }
  std::vector<Instance> out;
  std::map<std::string, std::string> seen;  // "service/id" -> where it was first given
  const json& services = doc["services"];
  for (size_t i = 0; i < services.size(); ++i) {
    const json& s = services[i];
    const std::string at = file + ": services[" + std::to_string(i) + "]";
    if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) {
      return at + ": expected an object with a \"name\" string and an \"instances\" array";
    }
    const std::string name = s["name"].get<std::string>();
    if (auto err = unknown_key(s, {"name", "instances"}); !err.empty()) {
      return at + " (" + name + "): " + err;
    }
    if (!s.contains("instances") || !s["instances"].is_array()) {
      return at + " (" + name + "): \"instances\" must be an array";
    }
    const json& instances = s["instances"];
    for (size_t j = 0; j < instances.size(); ++j) {
      const json& e = instances[j];
      const std::string where =
          "services[" + std::to_string(i) + "].instances[" + std::to_string(j) + "]";
      if (!e.is_object() || !e.contains("id") || !e["id"].is_string()) {
        return file + ": " + where + " (" + name + "): expected an object with an \"id\" string";
      }
      const std::string label = name + "/" + e["id"].get<std::string>();
      auto entry = parse_entry(e, name, registry);
      if (auto* err = std::get_if<std::string>(&entry)) {
        return file + ": " + where + " (" + label + "): " + *err;
      }
      Instance& inst = std::get<Instance>(entry);
      auto [it, fresh] = seen.emplace(inst.service + "/" + inst.id, where);
      if (!fresh) {
        return file + ": " + where + " (" + label + "): duplicate of " + it->second;
      }
      out.push_back(std::move(inst));
    }
  }
  return out;
}

int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Parsed parse_services(std::string_view text, std::string_view file_name,
                      const registry::Registry& registry) {
  const std::string file(file_name);
  json doc;
  try {
    // Comments are allowed: an operator's file explains itself.
    doc = json::parse(text, nullptr, true, true);
  } catch (const json::parse_error& e) {
    std::string_view what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix, as the API does.
    if (const size_t close = what.find("] "); what.starts_with("[") && close != what.npos) {
      what.remove_prefix(close + 2);
    }
    return file + ": invalid JSON: " + std::string(what);
  }
  try {
    return parse_document(doc, file, registry);
  } catch (const json::exception& e) {  // not expected: every access above is type-checked
    return file + ": " + e.what();
  }
}

bool ServicesFile::read(const registry::Registry& registry) {
  if (path_.empty()) {
    return true;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) {
    std::fprintf(stderr, "srvd: %s: cannot read: is a directory\n", path_.c_str());
    return false;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "srvd: %s: cannot read: %s\n", path_.c_str(), std::strerror(errno));
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    std::fprintf(stderr, "srvd: %s: cannot read: %s\n", path_.c_str(), std::strerror(errno));
    return false;
  }
  auto parsed = parse_services(text.str(), path_, registry);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "srvd: %s\n", err->c_str());
    return false;
  }
  entries_ = std::move(std::get<std::vector<Instance>>(parsed));
  return true;
}

void ServicesFile::apply(registry::Registry& registry) {
  if (path_.empty()) {
    return;
  }
  const int64_t now = wall_clock_ms();
  size_t added = 0, updated = 0, unchanged = 0, removed = 0;
  std::set<std::pair<std::string, std::string>> in_file;
  for (const Instance& entry : entries_) {
    in_file.emplace(entry.service, entry.id);
    const auto* service = registry.find(entry.service);
    const auto it =
        service ? service->find(entry.id) : registry::Registry::Service::const_iterator{};
    if (service && it != service->end() && same_entry(it->second, entry)) {
      ++unchanged;
      continue;
    }
    const auto result = registry.upsert(entry, now);
    if (const auto* rej = std::get_if<registry::Rejection>(&result)) {
      // Validated by read(); only a registry rule that depends on state could refuse it.
      std::fprintf(stderr, "srvd: %s: %s/%s not applied: %s\n", path_.c_str(),
                   entry.service.c_str(), entry.id.c_str(), rej->message.c_str());
      continue;
    }
    ++(std::get<registry::Applied>(result).created ? added : updated);
  }
  // Only the file's own instances go when it drops them; the API's are never touched.
  for (const auto& [service, id] : registry.ids_from(registry::Source::file)) {
    if (!in_file.contains({service, id})) {
      if (std::holds_alternative<registry::Applied>(registry.remove(service, id, now))) {
        ++removed;
      }
    }
  }
  std::fprintf(stderr,
               "srvd: services file %s: %zu instances (%zu added, %zu updated, %zu removed, %zu "
               "unchanged)\n",
               path_.c_str(), entries_.size(), added, updated, removed, unchanged);
}

}  // namespace srvd
