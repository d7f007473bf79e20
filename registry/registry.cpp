// registry.cpp -- applies validated changes, counts them, and publishes snapshots of them.
#include "registry/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "registry/render.hpp"

namespace srvd::registry {
namespace {

Rejection invalid(std::string msg) { return {Rejection::Kind::invalid, std::move(msg)}; }

/// True when a re-registration would leave what users see unchanged.
bool same_registration(const Instance& a, const Instance& b) {
  return a.address == b.address && a.port == b.port && a.protocol == b.protocol &&
         a.priority == b.priority && a.weight == b.weight && a.tags == b.tags &&
         a.meta == b.meta;
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

Result<Applied> Registry::upsert(Instance inst, int64_t now_ms) {
  auto service = normalize_label(inst.service);
  if (!service) {
    return invalid("invalid service name '" + inst.service +
                   "': must be a DNS label (letters, digits, hyphens; at most 63)");
  }
  if (*service == "ns") {
    return invalid("service name 'ns' is reserved for the zone's name server");
  }
  auto id = normalize_label(inst.id);
  if (!id) {
    return invalid("invalid instance id '" + inst.id +
                   "': must be a DNS label (letters, digits, hyphens; at most 63)");
  }
  if (inst.port == 0) {
    return invalid("port must be 1-65535");
  }
  if (auto err = validate_details(inst); !err.empty()) {
    return invalid(err);
  }
  inst.service = *service;
  inst.id = *id;

  Service& svc = services_[*service];
  auto it = svc.find(*id);
  bool created = it == svc.end();
  if (!created) {
    const Instance& old = it->second;
    if (same_registration(old, inst)) {
      return Applied{index_, false, old};  // idempotent: no change, no new index
    }
    // Operator status and history survive a re-registration (issue: idempotent upsert).
    inst.status = old.status;
    inst.status_reason = old.status_reason;
    inst.registered_at_ms = old.registered_at_ms;
    inst.create_index = old.create_index;
  } else {
    inst.registered_at_ms = now_ms;
    inst.create_index = index_ + 1;
  }
  inst.updated_at_ms = now_ms;
  inst.modify_index = ++index_;
  svc[*id] = inst;
  dirty_.insert(*service);
  return Applied{index_, created, std::move(inst)};
}

Result<Applied> Registry::remove(std::string_view service, std::string_view id, int64_t) {
  auto s = normalize_label(service);
  auto i = normalize_label(id);
  auto sit = s ? services_.find(*s) : services_.end();
  if (sit == services_.end() || !i || !sit->second.contains(*i)) {
    return Rejection{Rejection::Kind::not_found,
                     "no instance '" + std::string(id) + "' of service '" + std::string(service) +
                         "'"};
  }
  auto node = sit->second.extract(*i);
  if (sit->second.empty()) {
    services_.erase(sit);
  }
  dirty_.insert(*s);
  return Applied{++index_, false, std::move(node.mapped())};
}

Result<Applied> Registry::set_status(std::string_view service, std::string_view id, Status status,
                                     std::string reason, int64_t now_ms) {
  auto s = normalize_label(service);
  auto i = normalize_label(id);
  auto sit = s ? services_.find(*s) : services_.end();
  auto iit = (sit != services_.end() && i) ? sit->second.find(*i) : Service::iterator{};
  if (sit == services_.end() || !i || iit == sit->second.end()) {
    return Rejection{Rejection::Kind::not_found,
                     "no instance '" + std::string(id) + "' of service '" + std::string(service) +
                         "'"};
  }
  if (reason.size() > 1024) {
    return invalid("reason is too long (at most 1024 bytes)");
  }
  Instance& inst = iit->second;
  if (inst.status == status && inst.status_reason == reason) {
    return Applied{index_, false, inst};
  }
  inst.status = status;
  inst.status_reason = std::move(reason);
  inst.updated_at_ms = now_ms;
  inst.modify_index = ++index_;
  dirty_.insert(*s);
  return Applied{index_, false, inst};
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
  for (const auto& name : dirty_) {
    // Copy only the shard this service lives in; the others stay shared.
    auto& slot = table[Snapshot::shard_of(name)];
    auto shard = slot ? std::make_shared<Snapshot::Shard>(*slot)
                      : std::make_shared<Snapshot::Shard>();
    auto pos = std::lower_bound(shard->begin(), shard->end(), name,
                                [](const auto& r, const std::string& n) { return r->name < n; });
    bool present = pos != shard->end() && (*pos)->name == name;
    auto sit = services_.find(name);
    if (sit == services_.end()) {
      if (present) {
        shard->erase(pos);
      }
    } else if (present) {
      *pos = render_service(name, sit->second, domain_wire_);
    } else {
      shard->insert(pos, render_service(name, sit->second, domain_wire_));
    }
    slot = std::move(shard);
  }
  dirty_.clear();
  published_ = std::make_shared<const Snapshot>(index_, render_apex(zone_, domain_wire_, index_),
                                                std::move(table), static_zones_);
  return published_;
}

}  // namespace srvd::registry
