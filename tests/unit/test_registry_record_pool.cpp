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

TEST_CASE("record pool: idle records are bounded in bytes as well as in number") {
  RecordPool pool;
  // Records of large services, dropped together (their services deregistered): 4 MiB of SRV
  // bytes each, so only kMaxIdleBytes / 4 MiB of them stay idle; the rest are freed.
  constexpr size_t kBig = size_t{4} << 20;
  std::vector<std::shared_ptr<ServiceRecords>> big;
  for (int i = 0; i < 10; ++i) {
    big.push_back(pool.take());
    big.back()->srv_answer[0].srv.resize(kBig);
  }
  REQUIRE(RecordPool::capacity_bytes(*big[0]) >= kBig);
  big.clear();
  CHECK(pool.idle() == RecordPool::kMaxIdleBytes / kBig - 1);  // with the others' few bytes
  CHECK(pool.idle_bytes() <= RecordPool::kMaxIdleBytes);
  CHECK(pool.idle_bytes() >= pool.idle() * kBig);

  // Taking one back gives its bytes back to the budget.
  const size_t before = pool.idle_bytes();
  auto again = pool.take();
  CHECK(pool.idle_bytes() == before - RecordPool::capacity_bytes(*again));

  // Small records are still kept up to kMaxIdle.
  RecordPool small_pool;
  std::vector<std::shared_ptr<ServiceRecords>> small;
  for (size_t i = 0; i < RecordPool::kMaxIdle + 10; ++i) {
    small.push_back(small_pool.take());
    small.back()->instances.resize(3);
  }
  small.clear();
  CHECK(small_pool.idle() == RecordPool::kMaxIdle);
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
