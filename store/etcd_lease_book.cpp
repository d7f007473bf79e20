// etcd_lease_book.cpp -- which lease each instance key is attached to.
#include "store/etcd_lease_book.hpp"

namespace srvd::store {

int64_t LeaseBook::lease_of(const std::string& key) const {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? 0 : it->second.lease;
}

void LeaseBook::learn(const std::string& key, int64_t lease, int64_t revision) {
  std::lock_guard lock(mu_);
  auto& entry = by_key_[key];
  if (revision >= entry.revision) {
    entry = {lease, revision};
  }
}

void LeaseBook::replace(const std::vector<EtcdKv>& kvs, int64_t revision) {
  std::lock_guard lock(mu_);
  std::map<std::string, Entry> next;
  for (const auto& kv : kvs) {
    next[kv.key] = {kv.lease, kv.mod_revision};
  }
  // A key written after the read (by our writer, racing) keeps what it learned.
  for (const auto& [key, entry] : by_key_) {
    if (entry.revision > revision) {
      next[key] = entry;
    }
  }
  by_key_ = std::move(next);
}

void LeaseBook::granted(int64_t lease, int64_t ttl_s) {
  std::lock_guard lock(mu_);
  own_[lease] = ttl_s;
}

int64_t LeaseBook::own_ttl(int64_t lease) const {
  std::lock_guard lock(mu_);
  const auto it = own_.find(lease);
  return it == own_.end() ? 0 : it->second;
}

bool LeaseBook::drop_own(int64_t lease) {
  std::lock_guard lock(mu_);
  return own_.erase(lease) > 0;
}

void LeaseBook::note_grant(int64_t asked_s, int64_t got_s) {
  std::lock_guard lock(mu_);
  if (got_s > asked_s) {
    min_ttl_s_ = got_s;
  }
}

bool LeaseBook::fits(int64_t granted_s, int64_t ttl_s) const {
  std::lock_guard lock(mu_);
  return granted_s == ttl_s || (ttl_s < granted_s && granted_s <= min_ttl_s_);
}

}  // namespace srvd::store
