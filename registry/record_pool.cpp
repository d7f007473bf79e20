// record_pool.cpp -- idle ServiceRecords kept with their capacity, under a mutex.
#include "registry/record_pool.hpp"

#include <mutex>

namespace srvd::registry {

struct RecordPool::Impl {
  mutable std::mutex mu;
  std::vector<ServiceRecords*> idle;  // LIFO: the last freed is the warmest in cache

  ~Impl() {
    for (ServiceRecords* r : idle) {
      delete r;
    }
  }
};

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
      rec = impl_->idle.back();
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
    {
      std::lock_guard lock(impl->mu);
      if (impl->idle.size() < kMaxIdle) {
        impl->idle.push_back(r);
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

}  // namespace srvd::registry
