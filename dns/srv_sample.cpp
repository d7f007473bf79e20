// srv_sample.cpp -- RFC 2782 weighted selection for truncated SRV answers, without allocation.
#include "dns/srv_sample.hpp"

#include <algorithm>
#include <cmath>

namespace srvd::dns {

namespace {

constexpr uint16_t kQnameOffset = kHeaderSize;
// RFC 2782: weight 0 "should be given a very small chance of being selected" when others
// have weight; among themselves zero-weight records are chosen uniformly.
constexpr double kZeroWeight = 1.0 / 128;

size_t record_size(const registry::ServedInstance& inst) { return 2 + 10 + inst.srv_rdata.size(); }

}  // namespace

bool SrvSampler::write_truncated(MessageWriter& w, const registry::ServiceRecords& service,
                                 bool udp, uint32_t ttl, uint16_t& an) {
  const auto& all = service.instances;
  size_t total = 0;
  size_t smallest = kMaxMessageSize;
  for (const auto& inst : all) {
    if (inst.udp == udp) {
      total += record_size(inst);
      smallest = std::min(smallest, record_size(inst));
    }
  }
  size_t room = w.limit() - std::min(w.limit(), w.size());
  if (total <= room) {
    return false;
  }
  // At most this many records can be written, so only the first `cap` of the order matter.
  size_t cap = std::min(kMaxPicks, room / smallest);
  // Efraimidis & Spirakis (2006): giving each record an exponential clock -ln(u)/weight and
  // sorting by it yields exactly the order of RFC 2782's draw-without-replacement, in one
  // pass. A bounded max-heap keeps the `cap` earliest of (priority, clock).
  auto earlier = [](const Pick& x, const Pick& y) {
    return x.priority != y.priority ? x.priority < y.priority : x.key < y.key;
  };
  size_t n = 0;
  for (size_t i = 0; i < all.size() && cap > 0; ++i) {
    const auto& inst = all[i];
    if (inst.udp != udp) {
      continue;
    }
    double weight = inst.weight != 0 ? static_cast<double>(inst.weight) : kZeroWeight;
    Pick p{inst.priority, -std::log(rng_.unit()) / weight, static_cast<uint32_t>(i)};
    if (n < cap) {
      picks_[n++] = p;
      std::push_heap(picks_.begin(), picks_.begin() + static_cast<std::ptrdiff_t>(n), earlier);
    } else if (earlier(p, picks_[0])) {
      std::pop_heap(picks_.begin(), picks_.begin() + static_cast<std::ptrdiff_t>(n), earlier);
      picks_[n - 1] = p;
      std::push_heap(picks_.begin(), picks_.begin() + static_cast<std::ptrdiff_t>(n), earlier);
    }
  }
  auto end = picks_.begin() + static_cast<std::ptrdiff_t>(n);
  std::sort_heap(picks_.begin(), end, earlier);
  // Stop at the first record that does not fit: skipping it for a shorter one would favour
  // instances with short names.
  for (auto it = picks_.begin(); it != end; ++it) {
    if (w.record({kQnameOffset, {}}, type::SRV, ttl, all[it->index].srv_rdata) == 0) {
      break;
    }
    ++an;
  }
  return true;
}

}  // namespace srvd::dns
