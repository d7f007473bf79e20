// etcd_availability.cpp -- whether this replica can reach etcd.
#include "store/etcd_availability.hpp"

namespace srvd::store {

std::string EtcdAvailability::message() const {
  std::lock_guard lock(mu_);
  return message_;
}

void EtcdAvailability::lost(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    message_ = "etcd unreachable: " + why + " (endpoints " + endpoints_ + ")";
    ++generation_;
  }
  reconnect_ = true;
}

void EtcdAvailability::diverged(const std::string& why) {
  {
    std::lock_guard lock(mu_);
    // Keep an "unreachable" message: it says more than the write's failure does.
    if (message_.empty()) {
      message_ = "etcd: " + why + "; reading etcd again (endpoints " + endpoints_ + ")";
    }
    ++generation_;
  }
  resync_ = true;
}

uint64_t EtcdAvailability::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void EtcdAvailability::restored(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation == generation_) {
    message_.clear();
  }
}

}  // namespace srvd::store
