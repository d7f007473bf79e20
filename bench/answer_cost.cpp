// answer_cost.cpp -- the DNS side of a snapshot change: answers every kind of question about
// registered services many times straight through dns::handle_query (no sockets) and prints a
// hash of all response bytes, so two builds can be checked for byte-identical answers and
// compared in instructions per answer. Not built by CMake; against any build:
//   g++ -std=c++20 -O2 -g -I. bench/answer_cost.cpp build-rel/libsrvd_dns.a \
//       build-rel/libsrvd_registry.a -lldns -luv -o /tmp/answer_cost
//   valgrind --tool=callgrind /tmp/answer_cost 20   (instructions: see answer_all's total)
// Zone: 1,000 services of 3 instances (every 10th with meta, every 7th with an IPv6 one,
// every 13th with a udp one beside tcp ones: the record-by-record SRV path) and one service
// of 100 instances (asked over TCP). Questions per service: _svc._tcp SRV, svc A, <id>.svc
// A/AAAA, <id>.svc TXT, <id>._svc._tcp SRV (DNS-SD instance), _svc._udp SRV. The snapshot
// is published after every registration, and some of "big" are changed afterwards.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dns/handler.hpp"
#include "registry/registry.hpp"

using namespace srvd;

namespace {

std::vector<uint8_t> query(const std::string& name, uint16_t qtype) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) {
      dot = name.size();
    }
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
  return q;
}

struct Question {
  std::vector<uint8_t> wire;
  dns::Transport transport;
};

[[gnu::noipa]] uint64_t answer_all(const registry::Snapshot& snap, const std::vector<Question>& qs,
                                   dns::QueryContext& ctx, int rounds) {
  std::vector<uint8_t> out(dns::kMaxMessageSize);
  uint64_t h = 1469598103934665603ull;  // FNV-1a over every response
  for (int r = 0; r < rounds; ++r) {
    for (const auto& q : qs) {
      size_t n = dns::handle_query(snap, q.wire, out, q.transport, ctx);
      for (size_t i = 0; i < n; ++i) {
        h = (h ^ out[i]) * 1099511628211ull;
      }
    }
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  registry::Registry reg(registry::ZoneConfig{});
  std::vector<Question> qs;
  const std::string zone = ".svc.internal";
  for (int s = 0; s < 1000; ++s) {
    const std::string svc = "svc" + std::to_string(s);
    for (int k = 0; k < 3; ++k) {
      registry::Instance i;
      i.service = svc;
      i.id = "instance-" + std::to_string(k);
      const bool v6 = s % 7 == 0 && k == 1;
      i.address = *registry::parse_address(
          v6 ? "fd00::" + std::to_string(s) : "10.0." + std::to_string(s % 256) + "." + std::to_string(k));
      i.port = static_cast<uint16_t>(8000 + k);
      i.protocol = s % 13 == 0 && k == 2 ? registry::Protocol::udp : registry::Protocol::tcp;
      if (s % 10 == 0) {
        i.meta = {{"version", "1." + std::to_string(k)}, {"zone", "eu-west"}};
      }
      reg.upsert(i, 0);
      reg.publish();  // snapshots built change by change, as srvd builds them
      qs.push_back({query(i.id + "." + svc + zone, v6 ? 28 : 1), dns::Transport::udp});
      qs.push_back({query(i.id + "." + svc + zone, 16), dns::Transport::udp});
      qs.push_back({query(i.id + "._" + svc + "._tcp" + zone, 33), dns::Transport::udp});
    }
    qs.push_back({query("_" + svc + "._tcp" + zone, 33), dns::Transport::udp});
    qs.push_back({query("_" + svc + "._udp" + zone, 33), dns::Transport::udp});
    qs.push_back({query(svc + zone, 1), dns::Transport::udp});
  }
  for (int k = 0; k < 100; ++k) {
    registry::Instance i;
    i.service = "big";
    i.id = "b" + std::to_string(k);
    i.address = *registry::parse_address("10.9." + std::to_string(k / 50) + "." + std::to_string(k));
    i.port = 9000;
    reg.upsert(i, 0);
    reg.publish();
  }
  for (int k = 0; k < 100; k += 7) {  // changed after they were published
    registry::Instance i;
    i.service = "big";
    i.id = "b" + std::to_string(k);
    i.address = *registry::parse_address("10.9.0." + std::to_string(k));
    i.port = 9001;
    i.meta = {{"changed", "yes"}};
    reg.upsert(i, 0);
    reg.publish();
  }
  for (int k = 0; k < 50; ++k) {
    qs.push_back({query("_big._tcp" + zone, 33), dns::Transport::tcp});
    qs.push_back({query("big" + zone, 1), dns::Transport::tcp});
    qs.push_back({query("b" + std::to_string(k) + ".big" + zone, 1), dns::Transport::udp});
  }
  auto snap = reg.publish();
  dns::QueryContext ctx;
  uint64_t h = answer_all(*snap, qs, ctx, rounds);
  std::printf("%zu questions x %d rounds, response hash %016llx\n", qs.size(), rounds,
              static_cast<unsigned long long>(h));
  return 0;
}
