// stored_canonical.cpp -- one pass over a document in to_stored_json's exact form (the start-up
// path: 100,000 of these load in a fraction of the time an nlohmann tree per document takes).
#include "registry/stored_canonical.hpp"

#include <cstdint>
#include <limits>

namespace srvd::registry {
namespace {

/// A cursor that fails, and stays failed, at the first byte that is not what to_stored_json
/// would have written there. After a failure every read returns an empty value.
class Cursor {
 public:
  explicit Cursor(std::string_view doc) : p_(doc.data()), end_(doc.data() + doc.size()) {}

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && p_ == end_; }

  /// Consumes `c` if it comes next; otherwise leaves the cursor as it was.
  bool next_is(char c) {
    if (ok_ && p_ != end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!next_is(c)) {
      ok_ = false;
    }
  }

  /// Consumes `"k":` if it comes next; otherwise leaves the cursor as it was.
  bool key_if(std::string_view k) {
    const auto left = static_cast<size_t>(end_ - p_);
    if (ok_ && left >= k.size() + 3 && p_[0] == '"' && std::string_view(p_ + 1, k.size()) == k &&
        p_[k.size() + 1] == '"' && p_[k.size() + 2] == ':') {
      p_ += k.size() + 3;
      return true;
    }
    return false;
  }

  void key(std::string_view k) {
    if (!key_if(k)) {
      ok_ = false;
    }
  }

  /// ',' then `"k":`: the next field of an object.
  void next_key(std::string_view k) {
    expect(',');
    key(k);
  }

  /// A string of printable ASCII without escapes, viewed in place. Anything else (escapes,
  /// UTF-8, control characters) is left to the general reader, which validates it.
  std::string_view string() {
    expect('"');
    const char* start = p_;
    while (ok_ && p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        std::string_view s(start, static_cast<size_t>(p_ - start));
        ++p_;
        return s;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') {
        break;
      }
      ++p_;
    }
    ok_ = false;
    return {};
  }

  /// A plain decimal integer 0..max. A sign, fraction or exponent stops it, and so does a
  /// leading zero: the ',' or '}' the caller expects next is then not there.
  uint64_t uint(uint64_t max) {
    if (!ok_ || p_ == end_ || *p_ < '0' || *p_ > '9') {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    if (*p_ == '0') {
      ++p_;
      return 0;
    }
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      const auto d = static_cast<uint64_t>(*p_ - '0');
      if (v > (max - d) / 10) {
        ok_ = false;  // the general reader says which field is out of range
        return 0;
      }
      v = v * 10 + d;
      ++p_;
    }
    return v;
  }

  bool boolean() {
    if (literal("true")) {
      return true;
    }
    if (!literal("false")) {
      ok_ = false;
    }
    return false;
  }

 private:
  bool literal(std::string_view word) {
    if (ok_ && static_cast<size_t>(end_ - p_) >= word.size() &&
        std::string_view(p_, word.size()) == word) {
      p_ += word.size();
      return true;
    }
    return false;
  }

  const char* p_;
  const char* end_;
  bool ok_ = true;
};

template <typename T>
T read_uint(Cursor& c) {
  return static_cast<T>(c.uint(std::numeric_limits<T>::max()));
}

int64_t read_time(Cursor& c) {
  return static_cast<int64_t>(c.uint(uint64_t(std::numeric_limits<int64_t>::max())));
}

/// "name"/"id" as the general reader compares them with the key (already normalized).
bool names_key(std::string_view value, const std::string& key) {
  return value == key || normalize_label(value) == key;
}

/// "" keeps the default, as the general reader's absent-or-empty rule does.
bool read_status(std::string_view text, Status& out) {
  if (text.empty()) {
    return true;
  }
  auto st = parse_status(text);
  if (st) {
    out = *st;
  }
  return st.has_value();
}

/// "metadata": an object of strings, keys in the strictly increasing order in which a
/// std::map is written (anything else, a duplicate key say, goes to the general reader).
bool read_meta(Cursor& c, std::map<std::string, std::string>& meta) {
  c.expect('{');
  if (c.next_is('}')) {
    return c.ok();
  }
  do {
    std::string_view k = c.string();
    c.expect(':');
    std::string_view v = c.string();
    if (!c.ok() || (!meta.empty() && !(std::string_view(meta.rbegin()->first) < k))) {
      return false;
    }
    meta.emplace_hint(meta.end(), k, v);
  } while (c.next_is(','));
  c.expect('}');
  return c.ok();
}

bool read_tags(Cursor& c, std::vector<std::string>& tags) {
  c.expect('[');
  if (c.next_is(']')) {
    return c.ok();
  }
  do {
    std::string_view t = c.string();
    if (!c.ok()) {
      return false;
    }
    tags.emplace_back(t);
  } while (c.next_is(','));
  c.expect(']');
  return c.ok();
}

bool read_check(Cursor& c, CheckSpec& check) {
  c.expect('{');
  check.kind = c.key_if("http") ? CheckSpec::Kind::http : CheckSpec::Kind::tcp;
  if (check.kind == CheckSpec::Kind::tcp) {
    c.key("tcp");
  }
  check.target = c.string();
  c.next_key("interval_ms");
  check.interval_ms = read_uint<uint32_t>(c);
  c.next_key("timeout_ms");
  check.timeout_ms = read_uint<uint32_t>(c);
  c.next_key("rise");
  check.rise = read_uint<uint16_t>(c);
  c.next_key("fall");
  check.fall = read_uint<uint16_t>(c);
  c.expect('}');
  return c.ok();
}

/// The "srvd" object, from its '{' to its '}'.
bool read_srvd(Cursor& c, Instance& inst) {
  c.expect('{');
  c.key("protocol");
  std::string_view protocol = c.string();
  if (!protocol.empty()) {
    auto p = parse_protocol(protocol);
    if (!p) {
      return false;
    }
    inst.protocol = *p;
  }
  c.next_key("priority");
  inst.priority = read_uint<uint16_t>(c);
  c.next_key("weight");
  inst.weight = read_uint<uint16_t>(c);
  c.next_key("tags");
  if (!read_tags(c, inst.tags)) {
    return false;
  }
  c.next_key("ttl_ms");
  inst.ttl_ms = read_uint<uint64_t>(c);
  c.next_key("deregister_after_ms");
  inst.deregister_after_ms = read_uint<uint64_t>(c);
  c.expect(',');
  if (c.key_if("check") && !read_check(c, inst.check.emplace())) {
    return false;
  }
  if (inst.check) {
    c.expect(',');
  }
  c.key("source");
  std::string_view source = c.string();
  if (source == "file") {
    inst.source = Source::file;
  } else if (!source.empty() && source != "api") {
    return false;
  }
  c.next_key("status");
  std::string_view status = c.string();
  c.next_key("reason");
  inst.status_reason = c.string();
  c.next_key("maintenance");
  inst.maintenance = c.boolean();
  c.next_key("health");
  if (!read_status(c.string(), inst.health)) {
    return false;
  }
  c.next_key("ttl_expired");
  inst.ttl_expired = c.boolean();
  // The general reader's rule: the stored status, or derived as Registry::settle does.
  inst.status = inst.maintenance   ? Status::maintenance
                : inst.ttl_expired ? Status::critical
                                   : inst.health;
  if (!read_status(status, inst.status)) {
    return false;
  }
  c.next_key("passes");
  inst.passes = read_uint<uint16_t>(c);
  c.next_key("failures");
  inst.failures = read_uint<uint16_t>(c);
  c.next_key("check_output");
  inst.check_output = c.string();
  c.next_key("checked_at_ms");
  inst.checked_at_ms = read_time(c);
  c.next_key("status_changed_at_ms");
  inst.status_changed_at_ms = read_time(c);
  c.next_key("unserved_at_ms");
  inst.unserved_at_ms = read_time(c);
  c.next_key("registered_at_ms");
  inst.registered_at_ms = read_time(c);
  c.next_key("updated_at_ms");
  inst.updated_at_ms = read_time(c);
  c.expect('}');
  return c.ok();
}

}  // namespace

std::optional<Instance> read_canonical_document(std::string_view doc, const std::string& service,
                                                const std::string& id) {
  Cursor c(doc);
  c.expect('{');
  c.key("id");
  if (!names_key(c.string(), id)) {
    return std::nullopt;
  }
  c.next_key("name");
  if (!names_key(c.string(), service)) {
    return std::nullopt;
  }
  Instance inst;
  inst.service = service;
  inst.id = id;
  c.next_key("address");
  auto address = parse_address(c.string());
  if (!address) {
    return std::nullopt;
  }
  inst.address = std::move(*address);
  c.next_key("port");
  inst.port = read_uint<uint16_t>(c);
  c.next_key("metadata");
  if (inst.port == 0 || !read_meta(c, inst.meta)) {
    return std::nullopt;
  }
  c.next_key("status");
  c.string();  // the article's summary; srvd's own fields below decide
  c.next_key("srvd");
  if (!read_srvd(c, inst)) {
    return std::nullopt;
  }
  c.expect('}');
  if (!c.at_end()) {
    return std::nullopt;
  }
  return inst;
}

}  // namespace srvd::registry
