// record_pool.hpp -- recycles the ServiceRecords a publish renders, with their vectors'
// capacity, so that a change to a service does not cost a dozen large mallocs and frees.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "registry/snapshot.hpp"

namespace srvd::registry {

/// A publish renders a new ServiceRecords for every changed service and, once no snapshot
/// holds it, frees the one it replaced: per change, half a dozen arrays sized by the service
/// (instances, SRV bytes, glue, offsets, addresses). Sizes of 1-20 KB are past glibc's
/// thread cache, and their malloc and free, in a heap fragmented by services that grow by one
/// instance at a time, cost more than the rendering itself (perf at 15k registrations/s: the
/// two reserves of a render 10% of the control loop). A record that dies comes back here with
/// its vectors emptied but their capacity kept, and the next render fills one of those.
/// Thread-safe: the last reference to a record may be dropped on any thread.
class RecordPool {
 public:
  /// Up to this many idle records are kept (a publish replaces about one per change), holding
  /// at most kMaxIdleBytes of capacity between them: after large services are deregistered,
  /// their records' vectors would otherwise stay allocated until reused. 100,000 instances in
  /// 10,000 services render ~1 KiB per record, so the count is the usual limit.
  static constexpr size_t kMaxIdle = 512;
  static constexpr size_t kMaxIdleBytes = size_t{16} << 20;

  RecordPool();

  /// The process's pool. Never destroyed: records may die during static destruction.
  static RecordPool& shared();

  /// An empty record (recycled when one is idle), released to this pool when the last
  /// reference goes.
  std::shared_ptr<ServiceRecords> take();

  /// Idle records held now, and the capacity they keep in bytes (for tests).
  size_t idle() const;
  size_t idle_bytes() const;

  /// The bytes a record's vectors and name have room for, used or not.
  static size_t capacity_bytes(const ServiceRecords& r);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// Makes `v` empty with room for at least `n` elements, plus headroom: services grow one
/// instance at a time, and recycled vectors must still fit them. With 1/8 headroom a record
/// was outgrown every 12% of growth: registering into 1,000 services, a third of the renders
/// still allocated (perf: 3.9% of the control loop); with 1/2, one in ten. Capacity far beyond
/// what is needed (a record of a large service reused for a small one) is given back.
template <class T>
void reserve_recycled(std::vector<T>& v, size_t n) {
  v.clear();
  const size_t want = n + n / 2 + 4;
  if (v.capacity() < n || v.capacity() > 4 * want) {
    std::vector<T>().swap(v);  // not copied: it is empty
    v.reserve(want);
  }
}

}  // namespace srvd::registry
