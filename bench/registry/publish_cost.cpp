// publish_cost.cpp -- what Registry::publish costs per change, without HTTP or SQLite around
// it: the control loop's share of a registration that issue 6 is about. Not built by CMake;
// build it against any build's registry library (e.g. before and after a change):
//   g++ -std=c++20 -O2 -g -I. bench/registry/publish_cost.cpp build-rel/libsrvd_registry.a \
//       -o /tmp/publish_cost
// Prints nanoseconds per publish (the old snapshot freed too, as when DNS lets it go) for:
//   first: 1,000 services x 100 instances published at once (start-up's first publish);
//   one:   one new instance in a ~100-instance service, then publish;
//   batch: 200 new instances in 200 services (a wrk batch), then publish.
// On a busy machine count instructions instead: `valgrind --tool=callgrind /tmp/publish_cost 20`
// and `callgrind_annotate --inclusive=yes callgrind.out.* | grep publish_` (each divided by
// its calls: 1, 20, 20x200 changes). The old snapshot is freed inside the next publish_*.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "registry/registry.hpp"

using namespace srvd::registry;
using Clock = std::chrono::steady_clock;

namespace {

Instance make(int service, const std::string& id, int n) {
  Instance i;
  i.service = "reg" + std::to_string(service);
  i.id = id;
  i.address = *parse_address("10.100." + std::to_string(n / 256 % 256) + "." +
                             std::to_string(n % 256));
  i.port = 8080;
  return i;
}

// One function per case (noipa: not folded into one), so that callgrind_annotate
// --inclusive=yes shows each on its own.
[[gnu::noipa]] std::shared_ptr<const Snapshot> publish_first(Registry& reg) {
  return reg.publish();
}
[[gnu::noipa]] std::shared_ptr<const Snapshot> publish_one(Registry& reg) {
  return reg.publish();
}
[[gnu::noipa]] std::shared_ptr<const Snapshot> publish_batch(Registry& reg) {
  return reg.publish();
}

double ns_since(Clock::time_point t0, int n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  Registry reg(ZoneConfig{});
  int n = 0;
  for (int s = 0; s < 1000; ++s) {
    for (int k = 0; k < 100; ++k, ++n) {
      reg.upsert(make(s, "t0-" + std::to_string(n), n), 0);
    }
  }
  auto t0 = Clock::now();
  auto snap = publish_first(reg);
  std::printf("first: %.0f ns (%zu services)\n", ns_since(t0, 1), reg.services().size());

  double one = 0;
  for (int r = 0; r < rounds; ++r) {
    reg.upsert(make(r % 1000, "t1-" + std::to_string(n), n), 0);
    ++n;
    auto t = Clock::now();
    snap = publish_one(reg);  // the previous snapshot is freed here
    one += ns_since(t, 1);
  }
  std::printf("one:   %.0f ns per publish\n", one / rounds);

  double batch = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 200; ++k, ++n) {
      reg.upsert(make(n % 1000, "t2-" + std::to_string(n), n), 0);
    }
    auto t = Clock::now();
    snap = publish_batch(reg);
    batch += ns_since(t, 200);
  }
  std::printf("batch: %.0f ns per change (200 changes per publish)\n", batch / rounds);
  return 0;
}
