// sqlite_rows.cpp -- which rows of registry.db's instances log still count, and which are garbage.
#include "store/sqlite_rows.hpp"

#include <iterator>

namespace srvd::store {

std::string RowIndex::key(std::string_view service, std::string_view id) {
  std::string k;
  k.reserve(service.size() + 1 + id.size());
  k.append(service).push_back('\0');
  k.append(id);
  return k;
}

bool RowIndex::has(std::string_view service, std::string_view id) const {
  return live_.count(key(service, id)) != 0;
}

bool RowIndex::load_claim(std::string_view service, std::string_view id, int64_t seq,
                          bool removal) {
  if (!live_.try_emplace(key(service, id), removal ? -seq : seq).second) {
    dead_.push(seq);
    return false;
  }
  if (removal) {
    dead_.push(seq);
  }
  return true;
}

void RowIndex::load_done() {
  for (auto it = live_.begin(); it != live_.end();) {
    it = it->second < 0 ? live_.erase(it) : std::next(it);
  }
}

void RowIndex::record(std::string_view service, std::string_view id, int64_t seq, bool removal) {
  std::string k = key(service, id);
  auto it = live_.find(k);
  if (it != live_.end()) {
    dead_.push(it->second);
    if (removal) {
      live_.erase(it);
    } else {
      it->second = seq;
    }
  } else if (!removal) {
    live_.emplace(std::move(k), seq);
  }
  if (removal) {
    dead_.push(seq);  // needed only as long as an older row of its key is left
  }
}

std::vector<int64_t> RowIndex::take_oldest_dead(size_t n) {
  std::vector<int64_t> out;
  while (out.size() < n && !dead_.empty()) {
    out.push_back(dead_.top());
    dead_.pop();
  }
  return out;
}

}  // namespace srvd::store
