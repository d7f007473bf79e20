// registry.cpp -- applies validated changes, counts them, and publishes snapshots of them.
#include "registry/registry.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "registry/render.hpp"

namespace srvd::registry {
namespace {

Rejection invalid(std::string msg) { return {Rejection::Kind::invalid, std::move(msg)}; }

Rejection no_instance(std::string_view service, std::string_view id) {
  return {Rejection::Kind::not_found,
          "no instance '" + std::string(id) + "' of service '" + std::string(service) + "'"};
}

/// True when a re-registration would leave what users see unchanged.
bool same_registration(const Instance& a, const Instance& b) {
  return a.address == b.address && a.port == b.port && a.protocol == b.protocol &&
         a.priority == b.priority && a.weight == b.weight && a.tags == b.tags && a.meta == b.meta;
}

}  // namespace

Registry::Registry(ZoneConfig zone) : zone_(std::move(zone)) {
  auto wire = domain_to_wire(zone_.domain);
  if (!wire) {
    throw std::invalid_argument("invalid domain '" + zone_.domain + "'");
  }
  domain_wire_ = std::move(*wire);
}

const Registry::Service* Registry::find(std::string_view service) const {
  auto name = normalize_label(service);
  if (!name) {
    return nullptr;
  }
  auto it = services_.find(*name);
  return it == services_.end() ? nullptr : &it->second;
}

Instance* Registry::lookup(std::string_view service, std::string_view id) {
  auto s = normalize_label(service);
  auto i = normalize_label(id);
  if (!s || !i) {
    return nullptr;
  }
  auto sit = services_.find(*s);
  if (sit == services_.end()) {
    return nullptr;
  }
  auto iit = sit->second.find(*i);
  return iit == sit->second.end() ? nullptr : &iit->second;
}

bool Registry::settle(Instance& inst, int64_t now_ms) {
  Status next = inst.maintenance   ? Status::maintenance
                : inst.ttl_expired ? Status::critical
                                   : inst.health;
  if (next == inst.status) {
    return false;
  }
  if (is_served(inst.status) && !is_served(next)) {
    inst.unserved_at_ms = now_ms;  // resolvers may hold it for one TTL from here
  }
  inst.status = next;
  inst.status_changed_at_ms = now_ms;
  return true;
}

uint32_t Registry::drain_seconds(const Instance& inst, int64_t now_ms) const {
  // Every answer carries the zone TTL, so a resolver that got the instance just before it
  // left keeps it for that long (RFC 1035 §3.2.1: TTL is how long it may be cached).
  int64_t ttl_ms = int64_t{zone_.ttl} * 1000;
  if (is_served(inst.status)) {
    return zone_.ttl;
  }
  if (inst.unserved_at_ms == 0 || inst.unserved_at_ms + ttl_ms <= now_ms) {
    return 0;
  }
  return static_cast<uint32_t>((inst.unserved_at_ms + ttl_ms - now_ms + 999) / 1000);
}

Result<Instance> Registry::validate(Instance inst) const {
  auto checked = validate_instance(std::move(inst));
  if (auto* err = std::get_if<std::string>(&checked)) {
    return invalid(std::move(*err));
  }
  return std::get<Instance>(std::move(checked));
}

Result<Applied> Registry::upsert(Instance in, int64_t now_ms) {
  // validate_instance directly, not validate(): one Result (and one Instance move) fewer.
  auto checked = validate_instance(std::move(in));
  if (auto* err = std::get_if<std::string>(&checked)) {
    return invalid(std::move(*err));
  }
  Instance inst = std::move(std::get<Instance>(checked));

  Service& svc = services_[inst.service];
  // One search of the service's instances serves both the lookup and, for a new one, the
  // insert (emplace_hint below): each search is a dozen string compares.
  auto it = svc.lower_bound(inst.id);
  bool created = it == svc.end() || it->first != inst.id;
  bool check_changed = created ? inst.check.has_value() : it->second.check != inst.check;
  if (!created) {
    Instance& old = it->second;
    bool same = same_registration(old, inst) && !check_changed && old.ttl_ms == inst.ttl_ms &&
                old.deregister_after_ms == inst.deregister_after_ms && old.source == inst.source;
    // The operator's status, the health state and the history survive a re-registration
    // (issue 2: idempotent upsert; issue 4: an unchanged services-file entry keeps its health).
    inst.status = old.status;
    inst.status_reason = old.status_reason;
    inst.maintenance = old.maintenance;
    inst.health = old.health;
    inst.ttl_expired = old.ttl_expired;
    inst.passes = check_changed ? 0 : old.passes;
    inst.failures = check_changed ? 0 : old.failures;
    inst.check_output = old.check_output;
    inst.checked_at_ms = old.checked_at_ms;
    inst.status_changed_at_ms = old.status_changed_at_ms;
    inst.unserved_at_ms = old.unserved_at_ms;
    inst.registered_at_ms = old.registered_at_ms;
    inst.create_index = old.create_index;
    inst.updated_at_ms = old.updated_at_ms;
    inst.modify_index = old.modify_index;
    inst.deadline_queued_ms = old.deadline_queued_ms;
    if (inst.ttl_ms != 0) {
      inst.heartbeat_at_ms = now_ms;  // re-registering renews the TTL (issue 4 §1)
      if (inst.ttl_expired) {
        inst.ttl_expired = false;
        inst.check_output = inst.check ? inst.check_output : "re-registered";
      }
    } else {
      inst.heartbeat_at_ms = 0;
      inst.ttl_expired = false;
    }
    if (!inst.check && old.check) {
      inst.health = Status::healthy;  // nothing judges it any more
    }
    bool status_changed = settle(inst, now_ms);
    if (same && !status_changed) {
      if (inst.ttl_ms != 0) {
        mark_unsaved(old.service, old.id, &old, true);  // a renewal: etcd keeps TTLs in leases
      }
      old = std::move(inst);
      schedule(old);
      return Applied{index_, false, old};  // idempotent: no change, no new index
    }
  } else {
    inst.registered_at_ms = now_ms;
    inst.create_index = index_ + 1;
    inst.deadline_queued_ms = 0;
    inst.maintenance = false;
    inst.ttl_expired = false;
    inst.passes = 0;
    inst.failures = 0;
    inst.checked_at_ms = 0;
    inst.unserved_at_ms = 0;
    inst.heartbeat_at_ms = inst.ttl_ms != 0 ? now_ms : 0;  // registration = first heartbeat
    // Issue 4 §4: with a check it is out of DNS until the first run (started now) passes.
    inst.health = inst.check ? Status::critical : Status::healthy;
    inst.check_output = inst.check ? "pending first check" : "";
    inst.status = inst.health;
    inst.status_changed_at_ms = now_ms;
  }
  inst.updated_at_ms = now_ms;
  inst.modify_index = ++index_;
  touch(inst.service, inst.id);
  mark_unsaved(inst.service, inst.id, created ? nullptr : &it->second);
  if (created) {
    std::string id = inst.id;
    it = svc.emplace_hint(it, std::move(id), std::move(inst));
  } else {
    it->second = std::move(inst);
  }
  Instance& stored = it->second;
  schedule(stored);
  Applied applied{index_, created, stored};
  if (check_changed && runner_ != nullptr) {
    // Last: a runner may report synchronously, and the instance must be in place for that.
    if (applied.instance.check) {
      runner_->start(applied.instance.service, applied.instance.id, *applied.instance.check);
    } else {
      runner_->stop(applied.instance.service, applied.instance.id);
    }
  }
  return applied;
}

Result<Applied> Registry::remove(std::string_view service, std::string_view id, int64_t now_ms) {
  auto s = normalize_label(service);
  auto i = normalize_label(id);
  auto sit = s ? services_.find(*s) : services_.end();
  if (sit == services_.end() || !i || !sit->second.contains(*i)) {
    return no_instance(service, id);
  }
  auto node = sit->second.extract(*i);
  unschedule(node.mapped());
  if (sit->second.empty()) {
    services_.erase(sit);
  }
  touch(*s, *i);
  mark_unsaved(*s, *i, &node.mapped());
  Applied applied{++index_, false, std::move(node.mapped())};
  applied.drain_seconds = drain_seconds(applied.instance, now_ms);
  if (applied.instance.check && runner_ != nullptr) {
    runner_->stop(applied.instance.service, applied.instance.id);
  }
  return applied;
}

Result<Applied> Registry::set_status(std::string_view service, std::string_view id, Status status,
                                     std::string reason, int64_t now_ms) {
  Instance* inst = lookup(service, id);
  if (inst == nullptr) {
    return no_instance(service, id);
  }
  if (reason.size() > 1024) {
    return invalid("reason is too long (at most 1024 bytes)");
  }
  bool judged = inst->check || inst->ttl_ms != 0;
  if (judged && (status == Status::warning || status == Status::critical)) {
    return invalid("instance '" + inst->id + "' has a " + (inst->check ? "check" : "ttl") +
                   " that sets its health; set status maintenance to take it out, or healthy to "
                   "hand the decision back");
  }
  uint32_t drain = status == Status::maintenance ? drain_seconds(*inst, now_ms) : 0;
  const auto before = before_change(*inst);
  if (status == Status::maintenance) {
    inst->maintenance = true;
  } else {
    inst->maintenance = false;
    if (!judged) {
      inst->health = status;
    }
  }
  bool reason_changed = inst->status_reason != reason;
  inst->status_reason = std::move(reason);
  const bool status_changed = settle(*inst, now_ms);
  schedule(*inst);
  if (!status_changed && !reason_changed) {
    Applied same{index_, false, *inst};
    same.drain_seconds = drain;
    return same;
  }
  inst->updated_at_ms = now_ms;
  inst->modify_index = ++index_;
  touch(inst->service, inst->id);
  mark_unsaved(inst->service, inst->id, before ? &*before : nullptr);
  Applied applied{index_, false, *inst};
  applied.drain_seconds = drain;
  return applied;
}

Result<Applied> Registry::heartbeat(std::string_view service, std::string_view id, int64_t now_ms) {
  Instance* inst = lookup(service, id);
  if (inst == nullptr) {
    return Rejection{Rejection::Kind::not_found, "instance '" + std::string(id) + "' of service '" +
                                                     std::string(service) +
                                                     "' is not registered; register it again"};
  }
  if (inst->ttl_ms == 0) {
    return invalid("instance '" + inst->id +
                   "' has no ttl; register it with \"ttl\" to renew it by heartbeats");
  }
  const auto before = before_change(*inst);
  inst->heartbeat_at_ms = now_ms;
  if (inst->ttl_expired) {
    inst->ttl_expired = false;
    if (!inst->check) {
      inst->check_output = "heartbeat received";
    }
  }
  bool changed = settle(*inst, now_ms);
  if (changed) {
    inst->updated_at_ms = now_ms;
    inst->modify_index = ++index_;
    touch(inst->service, inst->id);
  }
  schedule(*inst);  // back from expiry: its TTL runs again
  mark_unsaved(inst->service, inst->id, before ? &*before : nullptr, !changed);
  return Applied{index_, false, *inst};
}

Result<Applied> Registry::record_check(std::string_view service, std::string_view id,
                                       const CheckResult& result, int64_t now_ms) {
  Instance* inst = lookup(service, id);
  if (inst == nullptr || !inst->check) {
    return Rejection{Rejection::Kind::not_found, "no instance '" + std::string(id) +
                                                     "' of service '" + std::string(service) +
                                                     "' with a check"};
  }
  const auto before = before_change(*inst);
  bool first = inst->checked_at_ms == 0;
  inst->check_output = result.output;
  inst->checked_at_ms = now_ms;
  bool pass = is_served(result.status);
  if (pass) {
    inst->passes = static_cast<uint16_t>(std::min<int>(inst->passes + 1, 0xffff));
    inst->failures = 0;
  } else {
    inst->failures = static_cast<uint16_t>(std::min<int>(inst->failures + 1, 0xffff));
    inst->passes = 0;
  }
  // rise/fall (issue 4 §2) only hold back a change between served and not served; the first
  // run decides at once (§4), and healthy <-> warning follows each run.
  if (first) {
    inst->health = pass ? result.status : Status::critical;
  } else if (is_served(inst->health)) {
    if (pass) {
      inst->health = result.status;
    } else if (inst->failures >= inst->check->fall) {
      inst->health = Status::critical;
    }
  } else if (pass && inst->passes >= inst->check->rise) {
    inst->health = result.status;
  }
  if (settle(*inst, now_ms)) {
    inst->updated_at_ms = now_ms;
    inst->modify_index = ++index_;
    touch(inst->service, inst->id);
    mark_unsaved(inst->service, inst->id, before ? &*before : nullptr);
    schedule(*inst);  // critical now: deregister_after runs
  }
  return Applied{index_, false, *inst};
}

std::optional<int64_t> Registry::deadline_of(const Instance& inst) const {
  std::optional<int64_t> next;
  if (inst.ttl_ms != 0 && !inst.ttl_expired && !ttl_by_store_) {
    next = inst.heartbeat_at_ms + static_cast<int64_t>(inst.ttl_ms);
  }
  if (inst.deregister_after_ms != 0 && inst.status == Status::critical) {
    const int64_t t = inst.status_changed_at_ms + static_cast<int64_t>(inst.deregister_after_ms);
    if (!next || t < *next) {
      next = t;
    }
  }
  return next;
}

void Registry::schedule(Instance& inst) {
  const auto due = deadline_of(inst);
  if (!due || (inst.deadline_queued_ms != 0 && inst.deadline_queued_ms <= *due)) {
    return;  // nothing to do, or its entry comes up in time (then it is queued again)
  }
  unschedule(inst);
  deadlines_.emplace(*due, Key{inst.service, inst.id});
  inst.deadline_queued_ms = *due;
}

void Registry::unschedule(Instance& inst) {
  if (inst.deadline_queued_ms != 0) {
    deadlines_.erase({inst.deadline_queued_ms, Key{inst.service, inst.id}});
    inst.deadline_queued_ms = 0;
  }
}

size_t Registry::expire(int64_t now_ms) {
  // The instances whose queue entries are due, in key order (the order changes get indexes).
  std::set<Key> due;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    auto node = deadlines_.extract(deadlines_.begin());
    ++deadlines_examined_;
    auto& [at, key] = node.value();
    auto sit = services_.find(key.first);
    if (sit == services_.end()) {
      continue;
    }
    auto iit = sit->second.find(key.second);
    if (iit == sit->second.end() || iit->second.deadline_queued_ms != at) {
      continue;  // stale: removed, or queued again since
    }
    iit->second.deadline_queued_ms = 0;
    due.insert(std::move(key));
  }
  size_t changed = 0;
  std::vector<Key> doomed;
  for (const auto& key : due) {
    Instance& inst = services_.find(key.first)->second.find(key.second)->second;
    const auto& [name, id] = key;
    if (inst.ttl_ms != 0 && !inst.ttl_expired && !ttl_by_store_ &&
        inst.heartbeat_at_ms + static_cast<int64_t>(inst.ttl_ms) <= now_ms) {
      const auto before = before_change(inst);
      inst.ttl_expired = true;
      inst.check_output = "TTL expired";
      if (settle(inst, now_ms)) {
        inst.updated_at_ms = now_ms;
        inst.modify_index = ++index_;
        touch(name, id);
        mark_unsaved(name, id, before ? &*before : nullptr);
        ++changed;
      }
    }
    if (inst.deregister_after_ms != 0 && inst.status == Status::critical &&
        inst.status_changed_at_ms + static_cast<int64_t>(inst.deregister_after_ms) <= now_ms) {
      doomed.push_back(key);
    }
  }
  for (const auto& [service, id] : doomed) {
    remove(service, id, now_ms);
    ++changed;
  }
  // What is left (a renewed TTL, the deregister_after that follows expiry) is queued again.
  for (const auto& [service, id] : due) {
    if (auto sit = services_.find(service); sit != services_.end()) {
      if (auto iit = sit->second.find(id); iit != sit->second.end()) {
        schedule(iit->second);
      }
    }
  }
  return changed;
}

std::optional<int64_t> Registry::next_deadline_ms() const {
  // Entries are at or before their instance's deadline, so the first live one whose deadline
  // has not moved is the answer; moved ones (heartbeats) are weighed until no entry can beat it.
  std::optional<int64_t> next;
  for (const auto& [at, key] : deadlines_) {
    if (next && at >= *next) {
      break;
    }
    auto sit = services_.find(key.first);
    if (sit == services_.end()) {
      continue;
    }
    auto iit = sit->second.find(key.second);
    if (iit == sit->second.end() || iit->second.deadline_queued_ms != at) {
      continue;
    }
    const auto due = deadline_of(iit->second);
    if (due && (!next || *due < *next)) {
      next = due;
    }
  }
  return next;
}

void Registry::set_ttl_by_store(bool on) {
  ttl_by_store_ = on;
  if (on) {
    return;  // TTL entries are dropped as they come up
  }
  for (auto& [name, svc] : services_) {
    for (auto& [id, inst] : svc) {
      schedule(inst);
    }
  }
}

void Registry::set_check_runner(CheckRunner* runner) {
  if (runner == runner_) {
    return;
  }
  if (runner_ != nullptr) {
    for (const auto& [name, svc] : services_) {
      for (const auto& [id, inst] : svc) {
        if (inst.check) {
          runner_->stop(name, id);
        }
      }
    }
  }
  runner_ = runner;
  if (runner_ == nullptr) {
    return;
  }
  for (const auto& [name, svc] : services_) {
    for (const auto& [id, inst] : svc) {
      if (inst.check) {
        runner_->start(name, id, *inst.check);
      }
    }
  }
}

std::vector<std::pair<std::string, std::string>> Registry::ids_from(Source source) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, svc] : services_) {
    for (const auto& [id, inst] : svc) {
      if (inst.source == source) {
        out.emplace_back(name, id);
      }
    }
  }
  return out;
}

void Registry::set_static_zones(std::shared_ptr<const StaticZones> zones) {
  static_zones_ = std::move(zones);
  static_dirty_ = true;
}

std::shared_ptr<const Snapshot> Registry::publish() {
  if (published_ && dirty_.empty() && published_->index() == index_ && !static_dirty_) {
    return published_;
  }
  static_dirty_ = false;
  Snapshot::Table table;
  if (published_) {
    table = published_->table();
  }
  // The shards copied by this publish, written in place by every later service in them.
  std::array<std::shared_ptr<Snapshot::Shard>, Snapshot::kShards> copied;
  for (auto& [name, changed] : dirty_) {
    // Copy only the shard this service lives in (once); the others stay shared.
    const size_t at = Snapshot::shard_of(name);
    auto& slot = table[at];
    auto& shard = copied[at];
    if (!shard) {
      shard = slot ? std::make_shared<Snapshot::Shard>(*slot) : std::make_shared<Snapshot::Shard>();
    }
    auto pos = std::lower_bound(shard->begin(), shard->end(), name,
                                [](const auto& r, const std::string& n) { return r->name < n; });
    bool present = pos != shard->end() && (*pos)->name == name;
    auto sit = services_.find(name);
    if (sit == services_.end()) {
      if (present) {
        shard->erase(pos);
      }
    } else if (present) {
      auto& ids = changed.ids;
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      *pos = render_service(name, sit->second, domain_wire_, pos->get(),
                            changed.whole ? nullptr : &ids);
    } else {
      shard->insert(pos, render_service(name, sit->second, domain_wire_));
    }
    slot = shard;
  }
  dirty_.clear();
  published_ = std::make_shared<const Snapshot>(index_, render_apex(zone_, domain_wire_, index_),
                                                std::move(table), static_zones_);
  return published_;
}

}  // namespace srvd::registry
