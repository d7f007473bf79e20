// test_registry_record_pool.cpp -- a rendered service's record comes back to the pool with its
// capacity when the last reference goes, and is handed out again empty.
#include <catch2/catch.hpp>

#include <thread>

#include "registry/record_pool.hpp"

using namespace srvd::registry;

TEST_CASE("record pool: a released record is reused empty, with its capacity") {
  RecordPool pool;
  auto rec = pool.take();
  CHECK(pool.idle() == 0);
  rec->name = "web";
  rec->instances.resize(40);
  rec->a.resize(40);
  rec->srv_answer[0].srv.resize(2000);
  rec->srv_answer[0].srv_at.resize(41);
  rec->blocks.push_back({std::make_shared<uint8_t[]>(8), 8});
  rec->block_bytes = rec->live_bytes = 8;
  std::weak_ptr<const uint8_t[]> block = rec->blocks[0].bytes;
  const ServedInstance* storage = rec->instances.data();
  rec.reset();
  CHECK(pool.idle() == 1);
  CHECK(block.expired());  // an idle record holds no rendered bytes

  auto again = pool.take();
  CHECK(pool.idle() == 0);
  CHECK(again->instances.data() == storage);  // the same record, capacity kept
  CHECK(again->name.empty());
  CHECK(again->instances.empty());
  CHECK(again->instances.capacity() >= 40);
  CHECK(again->a.empty());
  CHECK(again->srv_answer[0].srv.empty());
  CHECK(again->srv_answer[0].srv.capacity() >= 2000);
  CHECK(again->srv_answer[0].count() == 0);
  CHECK(again->blocks.empty());
  CHECK(again->block_bytes == 0);
  CHECK(again->live_bytes == 0);
}

TEST_CASE("record pool: a record may die on another thread, or after its pool") {
  auto pool = std::make_unique<RecordPool>();
  auto rec = pool->take();
  std::thread([r = std::move(rec)]() mutable { r.reset(); }).join();
  CHECK(pool->idle() == 1);
  auto late = pool->take();
  pool.reset();
  late.reset();  // freed, not returned to a pool that is gone
}

TEST_CASE("record pool: recycled vectors keep room to grow, and give back far too much") {
  std::vector<int> v(10);
  reserve_recycled(v, 100);
  CHECK(v.empty());
  CHECK(v.capacity() >= 150);  // headroom: the service's next renders, larger
  const int* kept = v.data();
  reserve_recycled(v, 140);
  CHECK(v.data() == kept);
  reserve_recycled(v, 2);
  CHECK(v.capacity() < 100);  // a large service's vector reused for a tiny one
}
