// registry_store.cpp -- the Registry's side of durability: what changed for the store, and
// what comes back from it (a restart's restore, an etcd watch's changes).
#include "registry/registry.hpp"

#include <algorithm>
#include <set>

#include "registry/stored_instance.hpp"

namespace srvd::registry {
namespace {

/// Equal as far as a store can tell: what it keeps of them is the same.
bool stored_equal(const Instance& a, const Instance& b) {
  return to_stored_json(a) == to_stored_json(b);
}

}  // namespace

void Registry::mark_unsaved(const std::string& service, const std::string& id,
                            const Instance* before, bool renew_only) {
  if (!track_unsaved_) {
    return;
  }
  Key key{service, id};
  // Only the first change since the last durable point knows the durable state. Searched
  // first: copying `before` for a key that has its durable state already would be wasted.
  if (auto u = undo_.lower_bound(key); u == undo_.end() || u->first != key) {
    undo_.emplace_hint(u, key,
                       before != nullptr ? std::optional<Instance>(*before) : std::nullopt);
  }
  auto [it, inserted] = unsaved_.try_emplace(std::move(key), renew_only);
  if (!inserted && !renew_only) {
    it->second = false;  // a real change since the last take outweighs a heartbeat
  }
}

std::vector<StoredChange> Registry::take_unsaved() {
  std::vector<StoredChange> out;
  out.reserve(unsaved_.size());
  // Usually saved() or roll_back() emptied in_flight_: the batch is appended in key order, into
  // elements whose memory the last batch left (no map node allocated and freed per change).
  const bool append = in_flight_.empty();
  for (auto& [key, renew_only] : unsaved_) {
    StoredChange& change = out.emplace_back(StoredChange{key.first, key.second, {}, renew_only});
    // Keys are normalized already: a plain find, without lookup()'s lowercasing copies.
    if (auto sit = services_.find(key.first); sit != services_.end()) {
      if (auto iit = sit->second.find(key.second); iit != sit->second.end()) {
        change.instance = iit->second;
      }
    }
    if (append) {
      in_flight_.emplace_back(key, change.instance);
      continue;
    }
    // A take before the last batch was settled (never from Durability): merged, newest wins.
    auto at = std::lower_bound(in_flight_.begin(), in_flight_.end(), key,
                               [](const auto& entry, const Key& k) { return entry.first < k; });
    if (at != in_flight_.end() && at->first == key) {
      at->second = change.instance;
    } else {
      in_flight_.emplace(at, key, change.instance);
    }
  }
  unsaved_.clear();
  return out;
}

void Registry::saved() {
  // Both are in key order, and every in-flight key has an undo_ entry: one walk along undo_
  // beside in_flight_ finds them all, rather than a search of undo_ per key.
  auto u = undo_.begin();
  for (auto& [key, state] : in_flight_) {
    while (u != undo_.end() && u->first < key) {
      ++u;
    }
    const bool found = u != undo_.end() && u->first == key;
    if (unsaved_.contains(key)) {
      // Changed again since: this is now its durable state.
      if (found) {
        u->second = std::move(state);
      } else {
        u = undo_.emplace_hint(u, key, std::move(state));
      }
    } else if (found) {
      u = undo_.erase(u);
    }
  }
  in_flight_.clear();
}

size_t Registry::roll_back() {
  std::set<Key> keys;
  for (const auto& [key, state] : in_flight_) {
    keys.insert(key);
  }
  for (const auto& [key, renew_only] : unsaved_) {
    keys.insert(key);
  }
  for (const auto& key : keys) {
    put_back(key, undo_[key]);
  }
  in_flight_.clear();
  unsaved_.clear();
  undo_.clear();
  return keys.size();
}

void Registry::put_back(const Key& key, const std::optional<Instance>& state) {
  const auto& [service, id] = key;
  auto sit = services_.find(service);
  const Instance* now = nullptr;
  if (sit != services_.end()) {
    auto iit = sit->second.find(id);
    now = iit == sit->second.end() ? nullptr : &iit->second;
  }
  if (now == nullptr && !state) {
    return;
  }
  const bool had_check = now != nullptr && now->check.has_value();
  const bool check_changed = !state || now == nullptr || now->check != state->check;
  if (now != nullptr) {
    unschedule(sit->second.find(id)->second);
  }
  if (!state) {
    sit->second.erase(id);
    if (sit->second.empty()) {
      services_.erase(sit);
    }
  } else {
    Instance& put = services_[service][id] = *state;
    put.modify_index = index_ + 1;
    put.deadline_queued_ms = 0;  // the copy's entry is long gone
    schedule(put);
  }
  ++index_;
  touch(service, id);
  if (runner_ != nullptr && check_changed) {
    if (state && state->check) {
      runner_->start(service, id, *state->check);
    } else if (had_check) {
      runner_->stop(service, id);
    }
  }
}

void Registry::settle_restored(Instance& inst, int64_t now_ms) {
  // A fresh TTL window (issue 5 §2): the process was down, not the instance.
  inst.heartbeat_at_ms = inst.ttl_ms != 0 ? now_ms : 0;
  inst.create_index = inst.modify_index = index_;
  inst.deadline_queued_ms = 0;
  schedule(inst);
  if (runner_ != nullptr && inst.check) {
    runner_->start(inst.service, inst.id, *inst.check);
  }
}

void Registry::restore(Services services, uint64_t index, int64_t now_ms) {
  // Indexes continue where the last process stopped: a client long-polling with an index it
  // got before the restart must not wait for the new process to catch up with it.
  index_ = std::max({index_, index, services.empty() ? uint64_t{0} : uint64_t{1}});
  while (!services.empty()) {
    auto node = services.extract(services.begin());
    auto sit = services_.lower_bound(node.key());
    if (sit == services_.end() || sit->first != node.key()) {
      // New to the registry (every service, at start-up): its map moves in as it is.
      sit = services_.insert(sit, std::move(node));
      for (auto& [id, inst] : sit->second) {
        settle_restored(inst, now_ms);
      }
    } else {
      for (auto& [id, inst] : node.mapped()) {
        auto iit = sit->second.lower_bound(id);
        if (iit != sit->second.end() && iit->first == id) {
          unschedule(iit->second);
          iit->second = std::move(inst);
        } else {
          iit = sit->second.emplace_hint(iit, id, std::move(inst));
        }
        settle_restored(iit->second, now_ms);
      }
    }
    // In order: the hint is right when it was empty.
    auto& dirty = dirty_.try_emplace(dirty_.end(), sit->first)->second;
    dirty.whole = true;
    dirty.ids.clear();
  }
}

void Registry::restore(std::vector<Instance> instances, uint64_t index, int64_t now_ms) {
  Services services;
  for (auto& inst : instances) {
    std::string id = inst.id;
    services[inst.service].insert_or_assign(std::move(id), std::move(inst));
  }
  restore(std::move(services), index, now_ms);
}

bool Registry::apply_stored(const StoredChange& change, int64_t now_ms) {
  if (auto u = undo_.find({change.service, change.id}); u != undo_.end()) {
    u->second = change.instance;  // what the store holds now is what a roll-back returns to
  }
  auto sit = services_.find(change.service);
  Instance* old = nullptr;
  if (sit != services_.end()) {
    auto iit = sit->second.find(change.id);
    old = iit == sit->second.end() ? nullptr : &iit->second;
  }
  if (!change.instance) {
    if (old == nullptr) {
      return false;
    }
    const bool had_check = old->check.has_value();
    unschedule(*old);
    sit->second.erase(change.id);
    if (sit->second.empty()) {
      services_.erase(sit);
    }
    ++index_;
    touch(change.service, change.id);
    if (had_check && runner_ != nullptr) {
      runner_->stop(change.service, change.id);
    }
    return true;
  }
  Instance next = *change.instance;
  next.service = change.service;
  next.id = change.id;
  next.deadline_queued_ms = 0;
  if (old != nullptr) {
    // Fields the store does not keep stay as this process knows them.
    next.heartbeat_at_ms = old->heartbeat_at_ms;
    next.create_index = old->create_index;
    next.modify_index = old->modify_index;
    if (stored_equal(*old, next)) {
      return false;  // our own write coming back, or nothing new
    }
  } else {
    next.heartbeat_at_ms = next.ttl_ms != 0 ? now_ms : 0;
    next.create_index = index_ + 1;
  }
  const bool check_changed = old == nullptr ? next.check.has_value() : old->check != next.check;
  next.modify_index = ++index_;
  touch(change.service, change.id);
  if (old != nullptr) {
    unschedule(*old);
  }
  Instance& stored = services_[change.service][change.id] = std::move(next);
  schedule(stored);
  if (check_changed && runner_ != nullptr) {
    if (stored.check) {
      runner_->start(stored.service, stored.id, *stored.check);
    } else {
      runner_->stop(stored.service, stored.id);
    }
  }
  return true;
}

}  // namespace srvd::registry
