// registry.hpp -- the single-writer registry: validates changes, counts them, publishes snapshots.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "registry/health.hpp"
#include "registry/instance.hpp"
#include "registry/snapshot.hpp"
#include "registry/store.hpp"

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
  /// For a change that took a served instance out of DNS (maintenance, removal): seconds
  /// until no resolver can still hold it (the zone TTL it was served with, from now); else 0.
  uint32_t drain_seconds = 0;
};

template <class T>
using Result = std::variant<T, Rejection>;

/// Owned and mutated by the control loop only. Reads of `services()` see the current state;
/// other threads see it only through published snapshots.
class Registry {
 public:
  using Service = std::map<std::string, Instance>;  ///< by lowercase id
  using Services = std::map<std::string, Service>;  ///< by lowercase service name

  explicit Registry(ZoneConfig zone);

  /// Checks `inst` as upsert would and returns it normalized (service, id lowercased), without
  /// applying it: lets the services file be refused as a whole before any entry is applied.
  Result<Instance> validate(Instance inst) const;
  /// Registers or updates `inst` (service and id as given, validated and lowercased here).
  /// An update keeps the registration time, the operator's status and the health state; for
  /// an instance with a TTL it also counts as a heartbeat. The health fields of `inst` are
  /// ignored. Its `source` is taken as given (a file entry takes over an API one).
  Result<Applied> upsert(Instance inst, int64_t now_ms);
  Result<Applied> remove(std::string_view service, std::string_view id, int64_t now_ms);
  /// maintenance overrides health; healthy clears maintenance and hands the decision back to
  /// the checks/TTL; for an instance with neither, healthy/warning/critical are its health.
  Result<Applied> set_status(std::string_view service, std::string_view id, Status status,
                             std::string reason, int64_t now_ms);
  /// Renews a TTL instance. not_found if unknown, invalid if it has no TTL.
  Result<Applied> heartbeat(std::string_view service, std::string_view id, int64_t now_ms);
  /// One check run's verdict, applying rise/fall. Unknown instances are ignored (not_found).
  /// A result that does not change the status updates output and time without a new index.
  Result<Applied> record_check(std::string_view service, std::string_view id,
                               const CheckResult& result, int64_t now_ms);
  /// Applies TTL expiry and deregister_after deadlines that have passed. Returns how many
  /// instances changed status or were removed.
  size_t expire(int64_t now_ms);
  /// The earliest deadline expire() would act on, or nullopt if none.
  std::optional<int64_t> next_deadline_ms() const;
  /// How many deadline-queue entries expire() has looked at so far: a tick costs the due and
  /// stale entries it pops, not one look per instance.
  uint64_t deadline_entries_examined() const { return deadlines_examined_; }
  /// The runner that start()s and stop()s active checks as instances come and go (nullptr:
  /// none; checks then stay pending). Borrowed; must outlive the Registry or be reset. The
  /// previous runner's checks are stopped (etcd: a replica that loses the check leadership).
  void set_check_runner(CheckRunner* runner);
  /// (service, id) of every instance registered from `source`, in order.
  std::vector<std::pair<std::string, std::string>> ids_from(Source source) const;
  const ZoneConfig& zone() const { return zone_; }

  /// Grows by one with every change; never reused.
  uint64_t index() const { return index_; }
  const std::map<std::string, Service>& services() const { return services_; }
  /// nullptr if no such service (name compared case-insensitively).
  const Service* find(std::string_view service) const;

  /// Replaces the records served from zones/*.zone (nullptr: none). The next publish()
  /// carries them; the change index does not move, since registrations did not change.
  void set_static_zones(std::shared_ptr<const StaticZones> zones);

  // Durability (issue 5): what a Store must keep, and what comes back from one.

  /// Starts recording which instances changed, for take_unsaved() (off by default: without a
  /// store nothing would ever take them).
  void track_unsaved(bool on) { track_unsaved_ = on; }
  /// Every instance changed or heartbeated since the last call, in key order, with its state
  /// as it is now (or its removal). Check runs that change nothing users see are not included.
  std::vector<StoredChange> take_unsaved();
  /// True while (service, id) has a change not yet taken by take_unsaved(): the next batch
  /// will write it, so what the store says about it now is older (etcd's watch holds it back).
  bool has_unsaved(const std::string& service, const std::string& id) const {
    return unsaved_.contains({service, id});
  }
  /// The last batch take_unsaved() gave out is durable: what roll_back() returns to from now.
  void saved();
  /// It is not: every change not yet durable -- that batch's and any made since -- is undone,
  /// so DNS and the API show only what the store has (a write refused with 503 changes
  /// nothing). Returns how many instances were put back.
  size_t roll_back();
  /// Loads what the embedded store kept, before any other change: instances as stored (their
  /// operator status and health state included), the change index continuing from `index`.
  /// TTL instances get a fresh window from `now_ms` rather than expiring at once; checks start
  /// when a runner is set. `services` is keyed as services() is (each instance under its own
  /// service and id); a service the registry does not have yet is moved in whole, so a
  /// start-up restore allocates and copies no instance.
  void restore(Services services, uint64_t index, int64_t now_ms);
  /// The same for instances in a list, in any order (a later one replaces an earlier one).
  void restore(std::vector<Instance> instances, uint64_t index, int64_t now_ms);
  /// Applies a change that came from the store (an etcd watch event, a resync): sets the
  /// instance as given (normalized by from_stored_json) or removes it. It is not recorded as
  /// unsaved. Returns true if anything changed (then the change index moved).
  bool apply_stored(const StoredChange& change, int64_t now_ms);
  /// etcd mode: leases expire TTL instances (the key is deleted everywhere), so expire() does
  /// not mark missed heartbeats critical itself; heartbeats still renew through the store.
  void set_ttl_by_store(bool on);

  /// True when changes were made since the last publish().
  bool dirty() const { return !dirty_.empty() || published_ == nullptr || static_dirty_; }
  /// Builds the snapshot for the current state, re-rendering only the services changed since
  /// the previous call; O(changed). Returns the last one when nothing changed.
  std::shared_ptr<const Snapshot> publish();

 private:
  ZoneConfig zone_;
  std::vector<uint8_t> domain_wire_;
  std::map<std::string, Service> services_;
  /// What changed since the last publish: per service, the ids of its changed instances (all
  /// that publish renders again; unsorted, maybe repeated), or `whole` when any of it may have
  /// (a restore). A vector, not a set: no allocation per id on the write path.
  struct Dirty {
    bool whole = false;
    std::vector<std::string> ids;
  };
  std::map<std::string, Dirty> dirty_;
  void touch(const std::string& service, const std::string& id) {
    Dirty& d = dirty_[service];
    if (!d.whole) {
      d.ids.push_back(id);
    }
  }
  uint64_t index_ = 0;
  std::shared_ptr<const Snapshot> published_;
  std::shared_ptr<const StaticZones> static_zones_;
  bool static_dirty_ = false;
  CheckRunner* runner_ = nullptr;
  bool track_unsaved_ = false;
  bool ttl_by_store_ = false;
  using Key = std::pair<std::string, std::string>;  ///< (service, id)
  std::map<Key, bool> unsaved_;  ///< changed since the last take -> renew only (a heartbeat)
  /// The batch with the store, as taken, in key order. A vector kept for its capacity: a map
  /// allocated and freed a node of an Instance's size per change.
  std::vector<std::pair<Key, std::optional<Instance>>> in_flight_;
  /// The last durable state (nullopt: absent) of every key in unsaved_ or in_flight_.
  std::map<Key, std::optional<Instance>> undo_;
  /// (time, key): for every instance with a deadline (a TTL heartbeat, deregister_after) an
  /// entry at or before it, at the instance's deadline_queued_ms. Entries are not moved when
  /// a deadline moves later (a heartbeat only stamps a time): expire() finds the instance not
  /// due and queues it again at its real deadline. Entries of removed or re-queued instances
  /// are stale and dropped when they come up.
  std::set<std::pair<int64_t, Key>> deadlines_;
  uint64_t deadlines_examined_ = 0;

  /// When expire() next has work for `inst`, or nullopt if it has no deadline.
  std::optional<int64_t> deadline_of(const Instance& inst) const;
  /// What restore does to each instance it brings in: indexes, a fresh TTL window, its
  /// deadline and its check.
  void settle_restored(Instance& inst, int64_t now_ms);
  /// Queues `inst` if its deadline is earlier than its queued entry (or it has none).
  void schedule(Instance& inst);
  /// Drops the live queue entry of `inst` (it is being removed or replaced).
  void unschedule(Instance& inst);

  /// Records a change to (service, id) for the store; `before` is its state before the change
  /// (nullptr: it did not exist), kept for roll_back() if no durable state is known yet.
  void mark_unsaved(const std::string& service, const std::string& id, const Instance* before,
                    bool renew_only = false);
  /// A copy of `inst` for mark_unsaved, taken before it is changed in place (none untracked).
  std::optional<Instance> before_change(const Instance& inst) const {
    return track_unsaved_ ? std::optional<Instance>(inst) : std::nullopt;
  }
  /// Sets (service, id) to `state` (nullopt: removes it) as a change: index, snapshot, checks.
  void put_back(const Key& key, const std::optional<Instance>& state);

  Instance* lookup(std::string_view service, std::string_view id);
  /// Recomputes inst.status from override and health; on a transition stamps the time, bumps
  /// the index and marks the service dirty. Returns true if the status changed.
  bool settle(Instance& inst, int64_t now_ms);
  uint32_t drain_seconds(const Instance& inst, int64_t now_ms) const;
};

}  // namespace srvd::registry
