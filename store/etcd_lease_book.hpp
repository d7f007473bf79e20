// etcd_lease_book.hpp -- which lease each instance key is attached to, as far as we know.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/etcd_client.hpp"

namespace srvd::store {

/// The writer renews a TTL instance by keeping its key's lease alive, so it must know the
/// lease -- from its own puts, or from the watch when another replica (or program) wrote the
/// key. Both threads write here; each fact carries its revision so an older one never
/// overwrites a newer one. Thread-safe.
class LeaseBook {
 public:
  /// The key's lease, 0 if none or unknown.
  int64_t lease_of(const std::string& key) const;
  /// At `revision` the key was put with `lease` (0: none) or deleted (0).
  void learn(const std::string& key, int64_t lease, int64_t revision);
  /// A full read at `revision`: these are all the keys there are.
  void replace(const std::vector<EtcdKv>& kvs, int64_t revision);

  /// Leases this replica granted. Only these are ever revoked: another program may attach
  /// many keys to one lease (the seed article's registry does), and revoking it would delete
  /// them all.
  void granted(int64_t lease, int64_t ttl_s);
  /// The TTL we asked for when we granted `lease`; 0 if it is not ours.
  int64_t own_ttl(int64_t lease) const;
  /// Forgets an own lease once revoked (or replaced); returns whether it was own.
  bool drop_own(int64_t lease);

  /// etcd raises a TTL below its minimum (1.5 election timeouts, rounded up: 2 s by
  /// default) to that minimum; a grant that came back raised tells us where it is.
  void note_grant(int64_t asked_s, int64_t got_s);
  /// Whether a lease etcd reports with `granted_s` is one granted for `ttl_s`: another
  /// replica's lease for the same TTL must be reused, not replaced on every heartbeat.
  bool fits(int64_t granted_s, int64_t ttl_s) const;

 private:
  struct Entry {
    int64_t lease = 0;
    int64_t revision = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> by_key_;
  std::map<int64_t, int64_t> own_;  ///< lease -> TTL asked for
  int64_t min_ttl_s_ = 2;           ///< etcd's default minimum until a grant shows otherwise
};

}  // namespace srvd::store
