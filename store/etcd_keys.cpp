// etcd_keys.cpp -- the key layout in etcd.
#include "store/etcd_keys.hpp"

#include "registry/instance.hpp"

namespace srvd::store {

std::string instance_key(std::string_view prefix, std::string_view service, std::string_view id) {
  std::string key(prefix);
  key += '/';
  key += service;
  key += '/';
  key += id;
  return key;
}

std::optional<std::pair<std::string, std::string>> parse_instance_key(std::string_view prefix,
                                                                      std::string_view key) {
  const std::string start = instances_range_start(prefix);
  if (!key.starts_with(start)) {
    return std::nullopt;
  }
  key.remove_prefix(start.size());
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view service = key.substr(0, slash);
  const std::string_view id = key.substr(slash + 1);
  // Only the lowercase form: "Web/x" and "web/x" would otherwise be one instance under two keys.
  const auto s = registry::normalize_label(service);
  const auto i = registry::normalize_label(id);
  if (!s || !i || *s != service || *i != id) {
    return std::nullopt;
  }
  return std::pair{*s, *i};
}

std::string instances_range_start(std::string_view prefix) {
  std::string start(prefix);
  start += '/';
  return start;
}

std::string prefix_range_end(std::string_view start) {
  std::string end(start);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key: etcd reads "\0" as "to the end"
}

std::string leader_key(std::string_view prefix) {
  std::string key(prefix);
  key += ".leader";
  return key;
}

}  // namespace srvd::store
