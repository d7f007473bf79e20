// test_registry_render.cpp -- a publish renders only the instances that changed, and what it
// assembles from the previous snapshot is byte for byte what a full render gives.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "registry/registry.hpp"
#include "registry/render.hpp"
#include "test_registry_support.hpp"

using namespace srvd::registry;

namespace {

void upsert(Registry& reg, const Instance& inst) {
  REQUIRE(std::holds_alternative<Applied>(reg.upsert(inst, 0)));
}

std::vector<uint8_t> bytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// Everything DNS reads of a service, compared field by field.
void check_same(const ServiceRecords& got, const ServiceRecords& want) {
  CHECK(got.name == want.name);
  REQUIRE(got.instances.size() == want.instances.size());
  for (size_t i = 0; i < got.instances.size(); ++i) {
    const ServedInstance& g = got.instances[i];
    const ServedInstance& w = want.instances[i];
    CHECK(g.id == w.id);
    CHECK(g.ipv6 == w.ipv6);
    CHECK(g.address == w.address);
    CHECK(g.udp == w.udp);
    CHECK(g.priority == w.priority);
    CHECK(g.weight == w.weight);
    CHECK(g.port == w.port);
    CHECK(bytes(g.srv_rdata) == bytes(w.srv_rdata));
    CHECK(bytes(g.txt_rdata) == bytes(w.txt_rdata));
  }
  CHECK(got.a == want.a);
  CHECK(got.aaaa == want.aaaa);
  for (size_t p = 0; p < 2; ++p) {
    CHECK(got.srv_answer[p].srv == want.srv_answer[p].srv);
    CHECK(got.srv_answer[p].glue == want.srv_answer[p].glue);
    CHECK(got.srv_answer[p].srv_at == want.srv_answer[p].srv_at);
    CHECK(got.srv_answer[p].glue_at == want.srv_answer[p].glue_at);
  }
}

// The instances' bytes lie in the service's blocks (TXT right after SRV), the byte counts are
// right, and render.cpp's bounds hold: at most 8 blocks, dead bytes at most the live ones.
void check_owned(const ServiceRecords& rec) {
  size_t live = 0;
  for (const ServedInstance& s : rec.instances) {
    live += s.srv_rdata.size() + s.txt_rdata.size();
    CHECK(s.txt_rdata.data() == s.srv_rdata.data() + s.srv_rdata.size());
    CHECK(s.id.data() == reinterpret_cast<const char*>(s.srv_rdata.data()) + 7);
    const bool inside =
        std::any_of(rec.blocks.begin(), rec.blocks.end(), [&](const RenderedBlock& b) {
          return s.srv_rdata.data() >= b.bytes.get() &&
                 s.txt_rdata.data() + s.txt_rdata.size() <= b.bytes.get() + b.size;
        });
    CHECK(inside);
  }
  size_t total = 0;
  for (const RenderedBlock& b : rec.blocks) {
    total += b.size;
  }
  CHECK(rec.live_bytes == live);
  CHECK(rec.block_bytes == total);
  CHECK(rec.blocks.size() <= 8);
  CHECK(rec.block_bytes <= 2 * rec.live_bytes);
}

}  // namespace

TEST_CASE("render: a change re-renders that instance only; the others are shared", "[render]") {
  Registry reg(ZoneConfig{});
  for (int i = 0; i < 100; ++i) {
    upsert(reg, make("web", "w" + std::to_string(i), "10.0.0." + std::to_string(i), 80));
  }
  auto s1 = reg.publish();
  const ServiceRecords* web1 = s1->find("web");
  REQUIRE(web1->instances.size() == 100);

  auto changed = make("web", "w7", "10.0.0.7", 8080);
  changed.meta = {{"v", "2"}};
  upsert(reg, changed);
  auto s2 = reg.publish();
  const ServiceRecords* web2 = s2->find("web");
  REQUIRE(web2 != web1);
  REQUIRE(web2->instances.size() == 100);
  for (size_t i = 0; i < 100; ++i) {
    const bool is_w7 = web2->instances[i].id == "w7";
    // Same bytes, same block: nothing rendered again, nothing copied but the entry.
    CHECK((web2->instances[i].srv_rdata.data() == web1->instances[i].srv_rdata.data()) == !is_w7);
  }
  const ServedInstance* w7 = web2->find("w7");
  REQUIRE(w7 != nullptr);
  CHECK(w7->port == 8080);
  CHECK(bytes(w7->srv_rdata.subspan(4, 2)) == std::vector<uint8_t>{0x1f, 0x90});
  CHECK(bytes(w7->txt_rdata) == std::vector<uint8_t>{3, 'v', '=', '2'});
  // The old snapshot still serves what it served.
  CHECK(web1->find("w7")->port == 80);
  CHECK(bytes(web1->find("w7")->txt_rdata) == std::vector<uint8_t>{0});
  check_same(*web2,
             *render_service("web", reg.services().at("web"), *domain_to_wire("svc.internal")));

  // Re-registering the same thing, or a status change elsewhere, renders nothing new.
  upsert(reg, make("web", "w3", "10.0.0.3", 80));
  REQUIRE(std::holds_alternative<Applied>(reg.set_status("web", "w9", Status::maintenance, "", 0)));
  auto s3 = reg.publish();
  const ServiceRecords* web3 = s3->find("web");
  REQUIRE(web3->instances.size() == 99);
  CHECK(web3->find("w9") == nullptr);
  CHECK(web3->find("w3")->srv_rdata.data() == web2->find("w3")->srv_rdata.data());
  CHECK(web3->find("w7")->srv_rdata.data() == web2->find("w7")->srv_rdata.data());
  check_owned(*web3);
}

TEST_CASE("render: every kind of change gives the bytes of a full render", "[render]") {
  // Random changes to a few instances (address family, port, protocol, priority, weight,
  // meta, status, removal), each publish compared with rendering the service from scratch.
  // "a" and "b" are small and mix protocols; "c" is larger and mostly TCP-only, so its SRV
  // answer is usually spliced from the previous one, its blocks get compacted, and a burst of
  // changes now and then takes the paths for many changes (sorting the addresses again).
  ZoneConfig zone;
  zone.domain = "Svc.Example";
  Registry reg(zone);
  const auto wire = *domain_to_wire(zone.domain);
  std::mt19937 rng(6);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto change = [&](const std::string& service, int ids, int udp_one_in) {
    const std::string id = "i" + std::to_string(pick(ids));
    switch (pick(6)) {
      case 0:
        reg.remove(service, id, 0);  // may not exist: rejected, nothing changes
        break;
      case 1:
        reg.set_status(service, id, pick(2) == 0 ? Status::maintenance : Status::healthy, "", 0);
        break;
      default: {
        auto inst = make(service, id,
                         pick(3) == 0 ? "2001:db8::" + std::to_string(pick(3))
                                      : "10.0.0." + std::to_string(pick(3)),
                         static_cast<uint16_t>(1 + pick(3)));
        inst.protocol = pick(udp_one_in) == 0 ? Protocol::udp : Protocol::tcp;
        inst.priority = static_cast<uint16_t>(pick(2));
        inst.weight = static_cast<uint16_t>(pick(2));
        if (pick(2) == 0) {
          inst.meta["k" + std::to_string(pick(2))] = std::string(static_cast<size_t>(pick(3)), 'x');
        }
        upsert(reg, inst);
      }
    }
  };
  std::shared_ptr<const Snapshot> before;
  std::map<std::string, std::shared_ptr<const ServiceRecords>> before_full;
  for (int round = 0; round < 300; ++round) {
    for (int k = 1 + pick(4); k > 0; --k) {
      if (pick(3) == 0) {
        change("c", 40, 60);
      } else {
        change(pick(2) == 0 ? "a" : "b", 12, 5);
      }
    }
    for (int k = round % 50 == 49 ? 30 : 0; k > 0; --k) {
      change("c", 40, 60);
    }
    auto snap = reg.publish();
    for (const std::string service : {"a", "b", "c"}) {
      // What the previous snapshot served is still there, byte for byte.
      if (before_full.count(service) != 0) {
        REQUIRE(before->find(service) != nullptr);
        check_same(*before->find(service), *before_full[service]);
      }
      before_full.erase(service);
      auto it = reg.services().find(service);
      if (it == reg.services().end()) {
        CHECK(snap->find(service) == nullptr);
        continue;
      }
      REQUIRE(snap->find(service) != nullptr);
      before_full[service] = render_service(service, it->second, wire);
      check_same(*snap->find(service), *before_full[service]);
      check_owned(*snap->find(service));
      // The path of a restore: the whole service looked at again against the last snapshot.
      if (before != nullptr && before->find(service) != nullptr) {
        auto whole = render_service(service, it->second, wire, before->find(service));
        check_same(*whole, *before_full[service]);
        check_owned(*whole);
      }
    }
    before = snap;  // keeps the previous snapshot alive, as a DNS thread would
  }
}

TEST_CASE("render: restore, roll-back, a store's change and expiry re-render what they change",
          "[render]") {
  // Each path that changes instances outside upsert/remove/set_status must tell publish which
  // (or that the whole service may have changed); each publish is checked against a full
  // render of the registry's state.
  Registry reg(ZoneConfig{});
  const auto wire = *domain_to_wire("svc.internal");
  auto same_as_full = [&] {
    auto snap = reg.publish();
    for (const auto& [name, service] : reg.services()) {
      REQUIRE(snap->find(name) != nullptr);
      check_same(*snap->find(name), *render_service(name, service, wire));
      check_owned(*snap->find(name));
    }
    return snap;
  };
  for (int i = 0; i < 10; ++i) {
    upsert(reg, make("web", "w" + std::to_string(i), "10.0.0." + std::to_string(i), 80));
  }
  reg.track_unsaved(true);
  auto s1 = same_as_full();
  reg.take_unsaved();
  reg.saved();

  // Roll-back: changes not yet durable are undone.
  upsert(reg, make("web", "w1", "10.0.1.1", 81));
  REQUIRE(std::holds_alternative<Applied>(reg.remove("web", "w2", 0)));
  upsert(reg, make("web", "w99", "10.0.1.99", 80));
  same_as_full();
  reg.take_unsaved();
  CHECK(reg.roll_back() == 3);
  auto s2 = same_as_full();
  CHECK(s2->find("web")->find("w1")->port == 80);
  CHECK(s2->find("web")->find("w2") != nullptr);
  CHECK(s2->find("web")->find("w99") == nullptr);

  // A store's change.
  auto changed = make("web", "w3", "10.0.3.3", 3333);
  changed.status = Status::healthy;
  CHECK(reg.apply_stored(StoredChange{"web", "w3", changed}, 0));
  CHECK(reg.apply_stored(StoredChange{"web", "w4", std::nullopt}, 0));
  auto s3 = same_as_full();
  CHECK(s3->find("web")->find("w3")->port == 3333);
  CHECK(s3->find("web")->find("w4") == nullptr);
  CHECK(s3->find("web")->find("w5")->srv_rdata.data() ==
        s1->find("web")->find("w5")->srv_rdata.data());

  // Restore into an existing service: the whole of it is looked at again.
  std::vector<Instance> restored = {make("web", "w5", "10.0.5.5", 5555),
                                    make("web", "w42", "10.0.4.2", 80)};
  for (auto& inst : restored) {
    inst.status = Status::healthy;
  }
  reg.restore(restored, reg.index(), 0);
  auto s4 = same_as_full();
  CHECK(s4->find("web")->find("w5")->port == 5555);
  CHECK(s4->find("web")->find("w42") != nullptr);

  // Expiry: a missed heartbeat takes the instance out of DNS.
  auto ttl = make("web", "t1", "10.0.9.9", 80);
  ttl.ttl_ms = 1000;
  REQUIRE(std::holds_alternative<Applied>(reg.upsert(ttl, 0)));
  CHECK(same_as_full()->find("web")->find("t1") != nullptr);
  CHECK(reg.expire(5000) == 1);
  CHECK(same_as_full()->find("web")->find("t1") == nullptr);
}
