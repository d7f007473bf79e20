// stored_instance.cpp -- writing and reading the JSON document both stores keep per instance.
#include "registry/stored_instance.hpp"

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "registry/json_text.hpp"
#include "registry/stored_canonical.hpp"

namespace srvd::registry {
namespace {

using nlohmann::json;

// The seed article's clients read "status" and skip anything but "UP".
constexpr std::string_view kUp = "UP";
constexpr std::string_view kDown = "DOWN";

/// Reads typed fields of one JSON object, keeping the first error so that a long list of
/// fields reads as a list, not as a ladder of ifs. An absent (or null) field keeps its default.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const std::string& error() const { return error_; }

  const json* find(std::string_view key) {
    if (!error_.empty()) {
      return nullptr;
    }
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  void fail(std::string_view key, std::string_view what) {
    if (error_.empty()) {
      error_ = "\"" + where_ + std::string(key) + "\" " + std::string(what);
    }
  }

  void string(std::string_view key, std::string& out) {
    if (const json* v = find(key)) {
      if (v->is_string()) {
        out = v->get<std::string>();
      } else {
        fail(key, "must be a string");
      }
    }
  }

  void boolean(std::string_view key, bool& out) {
    if (const json* v = find(key)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        fail(key, "must be true or false");
      }
    }
  }

  template <typename T>
  void uint(std::string_view key, T& out) {
    if (const json* v = find(key)) {
      constexpr uint64_t kMax = std::numeric_limits<T>::max();
      if (!v->is_number_unsigned() || v->get<uint64_t>() > kMax) {
        fail(key, "must be an integer 0-" + std::to_string(kMax));
      } else {
        out = static_cast<T>(v->get<uint64_t>());
      }
    }
  }

  void int64(std::string_view key, int64_t& out) {
    if (const json* v = find(key)) {
      bool fits = v->is_number_integer() &&
                  (!v->is_number_unsigned() ||
                   v->get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()));
      if (fits) {
        out = v->get<int64_t>();
      } else {
        fail(key, "must be an integer (Unix ms)");
      }
    }
  }

  /// A status as srvd names it ("healthy", ...).
  void status(std::string_view key, Status& out) {
    std::string s;
    string(key, s);
    if (!s.empty()) {
      if (auto st = parse_status(s)) {
        out = *st;
      } else {
        fail(key, "must be healthy, warning, critical or maintenance");
      }
    }
  }

 private:
  const json& obj_;
  std::string where_;
  std::string error_;
};

std::string read_check(const json& j, CheckSpec& c) {
  if (!j.is_object()) {
    return "\"srvd.check\" must be an object";
  }
  bool http = j.contains("http");
  if (http == j.contains("tcp")) {
    return "\"srvd.check\" must have exactly one of \"http\" and \"tcp\"";
  }
  c.kind = http ? CheckSpec::Kind::http : CheckSpec::Kind::tcp;
  FieldReader r(j, "srvd.check.");
  r.string(http ? "http" : "tcp", c.target);
  r.uint("interval_ms", c.interval_ms);
  r.uint("timeout_ms", c.timeout_ms);
  r.uint("rise", c.rise);
  r.uint("fall", c.fall);
  return r.error();
}

/// srvd's own fields; without them the instance keeps the defaults of a fresh registration.
std::string read_srvd(const json& j, Instance& inst) {
  if (!j.is_object()) {
    return "\"srvd\" must be an object";
  }
  FieldReader r(j, "srvd.");
  std::string text;
  r.string("protocol", text);
  if (auto p = parse_protocol(text)) {
    inst.protocol = *p;
  } else if (!text.empty()) {
    r.fail("protocol", "must be tcp or udp");
  }
  r.uint("priority", inst.priority);
  r.uint("weight", inst.weight);
  if (const json* tags = r.find("tags")) {
    bool strings = tags->is_array();
    for (size_t i = 0; strings && i < tags->size(); ++i) {
      strings = (*tags)[i].is_string();
      if (strings) {
        inst.tags.push_back((*tags)[i].get<std::string>());
      }
    }
    if (!strings) {
      r.fail("tags", "must be an array of strings");
    }
  }
  r.uint("ttl_ms", inst.ttl_ms);
  r.uint("deregister_after_ms", inst.deregister_after_ms);
  if (const json* check = r.find("check")) {
    if (auto err = read_check(*check, inst.check.emplace()); !err.empty()) {
      return err;
    }
  }
  text.clear();
  r.string("source", text);
  if (!text.empty() && text != "api" && text != "file") {
    r.fail("source", "must be api or file");
  }
  inst.source = text == "file" ? Source::file : Source::api;
  r.string("reason", inst.status_reason);
  r.boolean("maintenance", inst.maintenance);
  r.status("health", inst.health);
  r.boolean("ttl_expired", inst.ttl_expired);
  // srvd always writes the effective status; derived the way Registry::settle does if absent.
  inst.status = inst.maintenance   ? Status::maintenance
                : inst.ttl_expired ? Status::critical
                                   : inst.health;
  r.status("status", inst.status);
  r.uint("passes", inst.passes);
  r.uint("failures", inst.failures);
  r.string("check_output", inst.check_output);
  r.int64("checked_at_ms", inst.checked_at_ms);
  r.int64("status_changed_at_ms", inst.status_changed_at_ms);
  r.int64("unserved_at_ms", inst.unserved_at_ms);
  r.int64("registered_at_ms", inst.registered_at_ms);
  r.int64("updated_at_ms", inst.updated_at_ms);
  return r.error();
}

/// The article's status, or one of srvd's names, for a document srvd did not write.
std::string read_foreign_status(const json& doc, Instance& inst) {
  auto it = doc.find("status");
  if (it == doc.end() || it->is_null()) {
    return {};  // nothing says otherwise: registered means served, as in the API
  }
  if (!it->is_string()) {
    return "\"status\" must be a string";
  }
  auto s = it->get<std::string>();
  auto st = s == kUp ? Status::healthy : s == kDown ? Status::critical : parse_status(s);
  if (!st) {
    return "\"status\" must be UP, DOWN, healthy, warning, critical or maintenance";
  }
  inst.maintenance = *st == Status::maintenance;
  inst.health = inst.maintenance ? Status::healthy : *st;
  inst.status = *st;
  return {};
}

/// "name"/"id" may be omitted; present, they must name the key the document was found under.
std::string read_label(const json& doc, const char* field, const std::string& expected) {
  auto it = doc.find(field);
  if (it == doc.end()) {
    return {};
  }
  if (!it->is_string()) {
    return std::string("\"") + field + "\" must be a string";
  }
  if (normalize_label(it->get<std::string>()) != expected) {
    return std::string("\"") + field + "\" is '" + it->get<std::string>() + "' but the key says '" +
           expected + "'";
  }
  return {};
}

std::string read_document(const json& doc, Instance& inst) {
  if (!doc.is_object()) {
    return "not a JSON object";
  }
  if (auto err = read_label(doc, "name", inst.service); !err.empty()) {
    return err;
  }
  if (auto err = read_label(doc, "id", inst.id); !err.empty()) {
    return err;
  }
  auto addr = doc.find("address");
  if (addr == doc.end() || !addr->is_string()) {
    return "\"address\" is missing or not a string";
  }
  auto parsed = parse_address(addr->get<std::string>());
  if (!parsed) {
    return "\"address\" '" + addr->get<std::string>() + "' is not an IPv4 or IPv6 address";
  }
  inst.address = std::move(*parsed);
  auto port = doc.find("port");
  if (port == doc.end() || !port->is_number_unsigned() || port->get<uint64_t>() < 1 ||
      port->get<uint64_t>() > 65535) {
    return "\"port\" is missing or not an integer 1-65535";
  }
  inst.port = static_cast<uint16_t>(port->get<uint64_t>());
  auto meta = doc.find("metadata");
  if (meta != doc.end() && !meta->is_null()) {  // Go writes a nil map as null
    if (!meta->is_object()) {
      return "\"metadata\" must be an object of strings";
    }
    for (const auto& [k, v] : meta->items()) {
      if (!v.is_string()) {
        return "\"metadata\" value of '" + k + "' must be a string";
      }
      inst.meta.emplace(k, v.get<std::string>());
    }
  }
  auto srvd = doc.find("srvd");
  return srvd == doc.end() ? read_foreign_status(doc, inst) : read_srvd(*srvd, inst);
}

/// `,"key":` -- keys are literals of plain ASCII, so they need no escaping.
void put_key(std::string& out, std::string_view key, bool first = false) {
  if (!first) {
    out += ',';
  }
  out += '"';
  out += key;
  out += "\":";
}

template <typename T>
void put_int(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void put_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

}  // namespace

std::string to_stored_json(const Instance& inst) {
  // Written directly: building an ordered_json first cost an allocation per field on the
  // SQLite writer's path. Same bytes as nlohmann wrote before: the stored format does
  // not change (tests/unit/test_registry_stored_instance.cpp compares).
  std::string out;
  out.reserve(512 + inst.check_output.size() + inst.status_reason.size());
  out += '{';
  put_key(out, "id", true);
  append_json_string(out, inst.id);
  put_key(out, "name");
  append_json_string(out, inst.service);
  put_key(out, "address");
  append_json_string(out, inst.address.text);
  put_key(out, "port");
  put_int(out, inst.port);
  put_key(out, "metadata");
  append_json_string_map(out, inst.meta);
  put_key(out, "status");
  append_json_string(out, is_served(inst.status) ? kUp : kDown);
  put_key(out, "srvd");
  out += '{';
  put_key(out, "protocol", true);
  append_json_string(out, to_string(inst.protocol));
  put_key(out, "priority");
  put_int(out, inst.priority);
  put_key(out, "weight");
  put_int(out, inst.weight);
  put_key(out, "tags");
  append_json_strings(out, inst.tags);
  put_key(out, "ttl_ms");
  put_int(out, inst.ttl_ms);
  put_key(out, "deregister_after_ms");
  put_int(out, inst.deregister_after_ms);
  if (inst.check) {
    const CheckSpec& c = *inst.check;
    put_key(out, "check");
    out += '{';
    put_key(out, c.kind == CheckSpec::Kind::http ? "http" : "tcp", true);
    append_json_string(out, c.target);
    put_key(out, "interval_ms");
    put_int(out, c.interval_ms);
    put_key(out, "timeout_ms");
    put_int(out, c.timeout_ms);
    put_key(out, "rise");
    put_int(out, c.rise);
    put_key(out, "fall");
    put_int(out, c.fall);
    out += '}';
  }
  put_key(out, "source");
  append_json_string(out, to_string(inst.source));
  put_key(out, "status");
  append_json_string(out, to_string(inst.status));
  put_key(out, "reason");
  append_json_string(out, inst.status_reason);
  put_key(out, "maintenance");
  put_bool(out, inst.maintenance);
  put_key(out, "health");
  append_json_string(out, to_string(inst.health));
  put_key(out, "ttl_expired");
  put_bool(out, inst.ttl_expired);
  put_key(out, "passes");
  put_int(out, inst.passes);
  put_key(out, "failures");
  put_int(out, inst.failures);
  put_key(out, "check_output");
  append_json_string(out, inst.check_output);
  put_key(out, "checked_at_ms");
  put_int(out, inst.checked_at_ms);
  put_key(out, "status_changed_at_ms");
  put_int(out, inst.status_changed_at_ms);
  put_key(out, "unserved_at_ms");
  put_int(out, inst.unserved_at_ms);
  put_key(out, "registered_at_ms");
  put_int(out, inst.registered_at_ms);
  put_key(out, "updated_at_ms");
  put_int(out, inst.updated_at_ms);
  out += "}}";
  return out;
}

namespace {

/// The key's labels, normalized; or the error both readers give for a key that has none.
std::variant<std::pair<std::string, std::string>, std::string> key_labels(std::string_view service,
                                                                          std::string_view id) {
  auto svc = normalize_label(service);
  auto iid = normalize_label(id);
  if (!svc || *svc == "ns" || !iid) {
    return "key '" + std::string(service) + "/" + std::string(id) +
           "' does not name a service and an instance (DNS labels; 'ns' is reserved)";
  }
  return std::pair{std::move(*svc), std::move(*iid)};
}

std::variant<Instance, std::string> read_via_tree(std::string_view doc, std::string service,
                                                  std::string id) {
  Instance inst;
  inst.service = std::move(service);
  inst.id = std::move(id);
  try {
    // Parse errors arrive as exceptions carrying the position; they stop here.
    json parsed = json::parse(doc);
    if (auto err = read_document(parsed, inst); !err.empty()) {
      return err;
    }
  } catch (const json::exception& e) {
    return std::string("not JSON: ") + e.what();
  }
  // What the registry itself would accept, and nothing else, enters it from a store.
  return validate_instance(std::move(inst));
}

}  // namespace

std::variant<Instance, std::string> from_stored_json(std::string_view doc, std::string_view service,
                                                     std::string_view id) {
  auto key = key_labels(service, id);
  if (auto* err = std::get_if<std::string>(&key)) {
    return std::move(*err);
  }
  auto& [svc, iid] = std::get<0>(key);
  // srvd's own documents (all of them, unless edited by hand) skip the tree: start-up reads
  // 100,000 of them. Anything else, errors included, is the general reader's to judge.
  if (auto inst = read_canonical_document(doc, svc, iid)) {
    return validate_instance(std::move(*inst));
  }
  return read_via_tree(doc, std::move(svc), std::move(iid));
}

std::variant<Instance, std::string> from_stored_json_via_tree(std::string_view doc,
                                                              std::string_view service,
                                                              std::string_view id) {
  auto key = key_labels(service, id);
  if (auto* err = std::get_if<std::string>(&key)) {
    return std::move(*err);
  }
  auto& [svc, iid] = std::get<0>(key);
  return read_via_tree(doc, std::move(svc), std::move(iid));
}

}  // namespace srvd::registry
