// registry.hpp -- the single-writer registry: validates changes, counts them, publishes snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "registry/instance.hpp"
#include "registry/snapshot.hpp"

namespace srvd::registry {

/// What the zone looks like apart from registrations (fixed for the process's life).
struct ZoneConfig {
  std::string domain = "svc.internal";  ///< without trailing dot; lowercased on use
  uint32_t ttl = 5;
  uint32_t negative_ttl = 5;
  std::vector<Address> ns_addresses;  ///< addresses published for ns.<domain>
};

/// A rejected change: the message a user sees, and whether the thing was missing (404)
/// rather than invalid (400).
struct Rejection {
  enum class Kind { invalid, not_found } kind;
  std::string message;
};

struct Applied {
  uint64_t index;  ///< the change index the write produced (0 if nothing changed)
  bool created;    ///< a new instance (register) / always false otherwise
  Instance instance;
};

template <class T>
using Result = std::variant<T, Rejection>;

/// Owned and mutated by the control loop only. Reads of `services()` see the current state;
/// other threads see it only through published snapshots.
class Registry {
 public:
  using Service = std::map<std::string, Instance>;  ///< by lowercase id

  explicit Registry(ZoneConfig zone);

  /// Registers or updates `inst` (service and id as given, validated and lowercased here).
  /// An update keeps the registration time and the operator's status.
  Result<Applied> upsert(Instance inst, int64_t now_ms);
  Result<Applied> remove(std::string_view service, std::string_view id, int64_t now_ms);
  Result<Applied> set_status(std::string_view service, std::string_view id, Status status,
                             std::string reason, int64_t now_ms);

  /// Grows by one with every change; never reused.
  uint64_t index() const { return index_; }
  const std::map<std::string, Service>& services() const { return services_; }
  /// nullptr if no such service (name compared case-insensitively).
  const Service* find(std::string_view service) const;

  /// Replaces the records served from zones/*.zone (nullptr: none). The next publish()
  /// carries them; the change index does not move, since registrations did not change.
  void set_static_zones(std::shared_ptr<const StaticZones> zones);

  /// True when changes were made since the last publish().
  bool dirty() const { return !dirty_.empty() || published_ == nullptr || static_dirty_; }
  /// Builds the snapshot for the current state, re-rendering only the services changed since
  /// the previous call; O(changed). Returns the last one when nothing changed.
  std::shared_ptr<const Snapshot> publish();

 private:
  ZoneConfig zone_;
  std::vector<uint8_t> domain_wire_;
  std::map<std::string, Service> services_;
  std::set<std::string> dirty_;
  uint64_t index_ = 0;
  std::shared_ptr<const Snapshot> published_;
  std::shared_ptr<const StaticZones> static_zones_;
  bool static_dirty_ = false;
};

}  // namespace srvd::registry
