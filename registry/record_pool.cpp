// record_pool.cpp -- idle ServiceRecords kept with their capacity, under a mutex.
#include "registry/record_pool.hpp"

#include <mutex>

namespace srvd::registry {

struct RecordPool::Impl {
  struct Idle {
    ServiceRecords* record;
    size_t bytes;  ///< capacity_bytes when it came back (unchanged while idle)
  };
  mutable std::mutex mu;
  std::vector<Idle> idle;  // LIFO: the last freed is the warmest in cache
  size_t idle_bytes = 0;

  ~Impl() {
    for (const Idle& i : idle) {
      delete i.record;
    }
  }
};

namespace {

template <class T>
size_t capacity_of(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

size_t RecordPool::capacity_bytes(const ServiceRecords& r) {
  size_t n = r.name.capacity() + capacity_of(r.instances) + capacity_of(r.a) +
             capacity_of(r.aaaa) + capacity_of(r.blocks);
  for (const SrvAnswer& s : r.srv_answer) {
    n += capacity_of(s.srv) + capacity_of(s.glue) + capacity_of(s.srv_at) + capacity_of(s.glue_at);
  }
  return n;
}

RecordPool::RecordPool() : impl_(std::make_shared<Impl>()) {}

RecordPool& RecordPool::shared() {
  static auto* pool = new RecordPool;  // leaked on purpose (see the declaration)
  return *pool;
}

std::shared_ptr<ServiceRecords> RecordPool::take() {
  ServiceRecords* rec = nullptr;
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->idle.empty()) {
      rec = impl_->idle.back().record;
      impl_->idle_bytes -= impl_->idle.back().bytes;
      impl_->idle.pop_back();
    }
  }
  if (rec == nullptr) {
    rec = new ServiceRecords;
  }
  // The deleter holds the pool's state, so a record outliving a (test's) pool is still freed.
  return std::shared_ptr<ServiceRecords>(rec, [impl = impl_](ServiceRecords* r) {
    // Emptied outside the lock: dropping the blocks may free their bytes.
    r->name.clear();
    r->instances.clear();
    r->a.clear();
    r->aaaa.clear();
    for (SrvAnswer& s : r->srv_answer) {
      s.srv.clear();
      s.glue.clear();
      s.srv_at.clear();
      s.glue_at.clear();
    }
    r->blocks.clear();
    r->block_bytes = 0;
    r->live_bytes = 0;
    const size_t bytes = capacity_bytes(*r);
    {
      std::lock_guard lock(impl->mu);
      if (impl->idle.size() < kMaxIdle && impl->idle_bytes + bytes <= kMaxIdleBytes) {
        impl->idle.push_back({r, bytes});
        impl->idle_bytes += bytes;
        return;
      }
    }
    delete r;
  });
}

size_t RecordPool::idle() const {
  std::lock_guard lock(impl_->mu);
  return impl_->idle.size();
}

size_t RecordPool::idle_bytes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->idle_bytes;
}

}  // namespace srvd::registry
