// test_store_etcd_mirror.cpp -- what etcd sends back never undoes this replica's own writes.
#include <catch2/catch.hpp>

#include "registry/registry.hpp"
#include "registry/stored_instance.hpp"
#include "store/etcd_keys.hpp"
#include "store/etcd_mirror.hpp"

using namespace srvd;
using srvd::store::EtcdEvent;
using srvd::store::EtcdKv;

namespace {

registry::Instance instance(const std::string& id, uint16_t port) {
  registry::Instance inst;
  inst.service = "web";
  inst.id = id;
  inst.address = *registry::parse_address("10.0.0.1");
  inst.port = port;
  return inst;
}

EtcdKv kv(const std::string& id, uint16_t port, int64_t revision) {
  return {.key = store::instance_key("/p", "web", id),
          .value = registry::to_stored_json(instance(id, port)),
          .mod_revision = revision,
          .lease = 0};
}

EtcdEvent put(const std::string& id, uint16_t port, int64_t revision) {
  return {.deleted = false, .kv = kv(id, port, revision)};
}

EtcdEvent del(const std::string& id, int64_t revision) {
  return {.deleted = true,
          .kv = {.key = store::instance_key("/p", "web", id),
                 .value = "",
                 .mod_revision = revision,
                 .lease = 0}};
}

uint16_t port_of(const registry::Registry& reg, const std::string& id) {
  const auto* svc = reg.find("web");
  if (svc == nullptr || !svc->contains(id)) {
    return 0;
  }
  return svc->at(id).port;
}

}  // namespace

TEST_CASE("etcd mirror: events apply in order, old and repeated ones are ignored", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  store::RegistryMirror mirror(reg, "/p");
  mirror.apply_events({put("a", 80, 5), put("a", 81, 6)}, 1000);
  CHECK(port_of(reg, "a") == 81);
  const uint64_t index = reg.index();
  mirror.apply_events({put("a", 80, 5), put("a", 81, 6)}, 1000);  // replayed
  CHECK(port_of(reg, "a") == 81);
  CHECK(reg.index() == index);
  mirror.apply_events({del("a", 7)}, 1000);
  CHECK(port_of(reg, "a") == 0);
}

TEST_CASE("etcd mirror: an event held back while our write is in flight", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  store::RegistryMirror mirror(reg, "/p");
  const std::string key = store::instance_key("/p", "web", "a");
  // Our write (port 90) is already applied locally; etcd echoes an older state meanwhile.
  reg.apply_stored({"web", "a", instance("a", 90), false}, 1000);
  mirror.writing({key});
  mirror.apply_events({put("a", 70, 3)}, 1000);
  CHECK(port_of(reg, "a") == 90);

  SECTION("older than our put: dropped") {
    mirror.written({key}, {{key, 4}}, 1000);
    CHECK(port_of(reg, "a") == 90);
    mirror.apply_events({put("a", 90, 4)}, 1000);  // the echo of our own put
    CHECK(port_of(reg, "a") == 90);
  }
  SECTION("ordered after our put by etcd: applied once the write is done") {
    mirror.apply_events({put("a", 95, 8)}, 1000);
    CHECK(port_of(reg, "a") == 90);
    mirror.written({key}, {{key, 4}}, 1000);
    CHECK(port_of(reg, "a") == 95);
  }
  SECTION("a failed write: the newest held event is the truth") {
    mirror.written({key}, {}, 1000);
    CHECK(port_of(reg, "a") == 70);
  }
  CHECK(mirror.pending() == 0);
}

TEST_CASE("etcd mirror: a local change the next batch will write is not overwritten", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  reg.track_unsaved(true);
  store::RegistryMirror mirror(reg, "/p");
  const std::string key = store::instance_key("/p", "web", "a");
  mirror.apply_events({put("a", 70, 3)}, 1000);
  reg.upsert(instance("a", 90), 1000);  // a write through the API, acknowledged once saved
  mirror.apply_snapshot({kv("a", 70, 5)}, 5, 1000);  // a full re-read, before the batch left
  CHECK(port_of(reg, "a") == 90);
  auto batch = reg.take_unsaved();
  REQUIRE(batch.size() == 1);
  CHECK(batch[0].instance->port == 90);  // what the store gets is the write itself
  mirror.writing({key});
  mirror.written({key}, {{key, 6}}, 1000);  // etcd ordered our put after the re-read
  CHECK(port_of(reg, "a") == 90);
}

TEST_CASE("etcd mirror: a snapshot removes what is gone and sets the rest", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  store::RegistryMirror mirror(reg, "/p");
  mirror.apply_events({put("a", 80, 2), put("b", 80, 3), put("c", 80, 4)}, 1000);
  // "c" has a write in flight: the snapshot does not touch it.
  mirror.writing({store::instance_key("/p", "web", "c")});
  EtcdKv bad = kv("d", 80, 5);
  bad.value = "{not json";
  EtcdKv stray = kv("e", 80, 5);
  stray.key = "/p/only-one-segment";
  mirror.apply_snapshot({kv("a", 81, 9), bad, stray}, 10, 1000);
  CHECK(port_of(reg, "a") == 81);
  CHECK(port_of(reg, "b") == 0);
  CHECK(port_of(reg, "c") == 80);
  CHECK(port_of(reg, "d") == 0);  // skipped, not fatal
  // Events the snapshot already covers change nothing.
  mirror.apply_events({put("a", 80, 9)}, 1000);
  CHECK(port_of(reg, "a") == 81);
}

TEST_CASE("etcd mirror: a snapshot corrects a local state left by a failed write", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  store::RegistryMirror mirror(reg, "/p");
  const std::string key = store::instance_key("/p", "web", "a");
  mirror.apply_events({put("a", 80, 6)}, 1000);
  reg.apply_stored({"web", "a", instance("a", 99), false}, 1000);  // local write...
  mirror.writing({key});
  mirror.written({key}, {}, 1000);  // ...that etcd never got
  mirror.apply_snapshot({kv("a", 80, 6)}, 6, 1000);
  CHECK(port_of(reg, "a") == 80);
}

TEST_CASE("etcd mirror: a snapshot from a new history forgets the old revisions", "[etcd]") {
  registry::Registry reg(registry::ZoneConfig{});
  store::RegistryMirror mirror(reg, "/p");
  mirror.apply_events({put("a", 80, 50)}, 1000);
  mirror.apply_snapshot({kv("a", 81, 3)}, 3, 1000, true);
  CHECK(port_of(reg, "a") == 81);
  mirror.apply_events({put("a", 82, 4)}, 1000);
  CHECK(port_of(reg, "a") == 82);
}
