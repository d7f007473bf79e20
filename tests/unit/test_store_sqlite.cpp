// test_store_sqlite.cpp -- the embedded store: durability, batches, refusing untrusted files.
#include <sqlite3.h>
#include <stdlib.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "registry/stored_instance.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_writer.hpp"

using namespace srvd;
using registry::Instance;
using registry::StoredChange;
using store::Loaded;
using store::SqliteStore;
namespace fs = std::filesystem;

namespace {

/// A fresh directory per test, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "srvd-sqlite-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string db() const { return path + "/registry.db"; }
};

/// A loop that must end with no handle left open: close() has to release the store's handle.
struct Loop {
  uv_loop_t loop{};
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

Instance make_instance(const std::string& service, const std::string& id, uint16_t port = 8080) {
  Instance i;
  i.service = service;
  i.id = id;
  i.address = *registry::parse_address("10.0.0.1");
  i.port = port;
  i.meta["version"] = "1.0";
  i.tags = {"blue"};
  i.ttl_ms = 10000;
  i.registered_at_ms = 1764300000000;
  return i;
}

StoredChange put(const Instance& i) { return StoredChange{i.service, i.id, i, false}; }
StoredChange removal(const std::string& service, const std::string& id) {
  return StoredChange{service, id, std::nullopt, false};
}

std::unique_ptr<SqliteStore> open_ok(Loop& l, const TempDir& dir, Loaded& loaded) {
  std::string error;
  auto s = SqliteStore::open(&l.loop, dir.path, loaded, error);
  INFO(error);
  REQUIRE(s);
  CHECK(error.empty());
  return s;
}

/// Saves and runs the loop until done reports; returns done's error.
std::string save_wait(Loop& l, SqliteStore& s, std::vector<StoredChange> batch, uint64_t index) {
  bool called = false;
  std::string result;
  s.save(std::move(batch), index, [&](std::string err) {
    called = true;
    result = std::move(err);
  });
  CHECK_FALSE(called);  // never from inside save()
  while (!called) {
    uv_run(&l.loop, UV_RUN_ONCE);
  }
  return result;
}

/// What a fresh process would load from `dir`.
Loaded reopen(const TempDir& dir) {
  Loop l;
  Loaded loaded;
  auto s = open_ok(l, dir, loaded);
  s->close();
  return loaded;
}

std::string refused(const TempDir& dir) {
  Loop l;
  Loaded loaded;
  std::string error;
  auto s = SqliteStore::open(&l.loop, dir.path, loaded, error);
  CHECK_FALSE(s);
  if (s) {
    s->close();  // lets the loop end, so the failure is reported rather than hanging
  }
  CHECK(loaded.services.empty());
  CHECK(error.find(dir.db()) != std::string::npos);  // the message names the file
  return error;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes, std::streamoff at = 0) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!f) {
    f.open(path, std::ios::binary | std::ios::out);
  }
  f.seekp(at);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

/// Runs SQL on the database with a connection of the test's own, as an operator's shell would.
void sql(const std::string& path, const char* statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, statements, nullptr, nullptr, &msg);
  INFO((msg ? msg : ""));
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

/// The first column of the first row of `query`, as text.
std::string scalar(const std::string& path, const std::string& query) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string value;
  sqlite3_exec(
      db, query.c_str(),
      [](void* out, int, char** cols, char**) {
        *static_cast<std::string*>(out) = cols[0] ? cols[0] : "";
        return 0;
      },
      &value, nullptr);
  sqlite3_close(db);
  return value;
}

std::string pragma(const std::string& path, const char* name) {
  return scalar(path, std::string("PRAGMA ") + name);
}

const Instance* find(const Loaded& l, const std::string& service, const std::string& id) {
  for (const auto* i : l.instances()) {
    if (i->service == service && i->id == id) {
      return i;
    }
  }
  return nullptr;
}

/// A database as srvd wrote it before schema version 2: one row per (service, id).
void make_v1_db(const TempDir& dir, const std::vector<Instance>& instances, uint64_t index) {
  sql(dir.db(),
      "CREATE TABLE instances(service TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,"
      "                       PRIMARY KEY(service, id)) WITHOUT ROWID;"
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
      "PRAGMA user_version = 1;");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO instances VALUES(?1, ?2, ?3)", -1, &st, nullptr) ==
          SQLITE_OK);
  for (const auto& i : instances) {
    std::string doc = registry::to_stored_json(i);
    sqlite3_bind_text(st, 1, i.service.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, i.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, doc.c_str(), -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  sql(dir.db(), ("INSERT INTO meta VALUES('index', " + std::to_string(index) + ");").c_str());
}

}  // namespace

TEST_CASE("sqlite store: a missing directory is created and starts empty", "[sqlite]") {
  TempDir dir;
  std::string nested = dir.path + "/a/b";
  Loop l;
  Loaded loaded;
  loaded.index = 99;
  std::string error;
  auto s = SqliteStore::open(&l.loop, nested, loaded, error);
  REQUIRE(s);
  CHECK(loaded.services.empty());
  CHECK(loaded.index == 0);
  CHECK(fs::exists(nested + "/registry.db"));
  s->close();
  CHECK(pragma(nested + "/registry.db", "user_version") == "2");
  CHECK(pragma(nested + "/registry.db", "journal_mode") == "wal");
}

TEST_CASE("sqlite store: a zero-length file is a new database", "[sqlite]") {
  TempDir dir;
  write_bytes(dir.db(), "");
  Loaded loaded = reopen(dir);
  CHECK(loaded.services.empty());
  CHECK(pragma(dir.db(), "user_version") == "2");
}

TEST_CASE("sqlite store: saved instances and the index survive a restart", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    Instance web = make_instance("web", "a1");
    web.check = registry::CheckSpec{registry::CheckSpec::Kind::http, "http://10.0.0.1:8080/h"};
    CHECK(save_wait(l, *s, {put(web), put(make_instance("db", "primary", 5432))}, 5).empty());
    s->close();
  }
  Loaded loaded = reopen(dir);
  CHECK(loaded.index == 5);
  REQUIRE(loaded.instances().size() == 2);
  const Instance* web = find(loaded, "web", "a1");
  REQUIRE(web);
  CHECK(web->address.text == "10.0.0.1");
  CHECK(web->port == 8080);
  CHECK(web->meta.at("version") == "1.0");
  CHECK(web->tags == std::vector<std::string>{"blue"});
  CHECK(web->ttl_ms == 10000);
  REQUIRE(web->check);
  CHECK(web->check->target == "http://10.0.0.1:8080/h");
  REQUIRE(find(loaded, "db", "primary"));
  CHECK(find(loaded, "db", "primary")->port == 5432);
}

TEST_CASE("sqlite store: updates replace and removals delete", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    CHECK(save_wait(l, *s, {put(make_instance("web", "a1")), put(make_instance("web", "a2"))}, 2)
              .empty());
    CHECK(
        save_wait(l, *s, {removal("web", "a1"), put(make_instance("web", "a2", 9090))}, 4).empty());
    s->close();
  }
  Loaded loaded = reopen(dir);
  CHECK(loaded.index == 4);
  REQUIRE(loaded.instances().size() == 1);
  CHECK(loaded.instances()[0]->id == "a2");
  CHECK(loaded.instances()[0]->port == 9090);
}

TEST_CASE("sqlite store: a heartbeat alone writes nothing", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    StoredChange beat = put(make_instance("web", "a1"));
    beat.renew_only = true;
    CHECK(save_wait(l, *s, {beat}, 0).empty());
    s->close();
  }
  CHECK(reopen(dir).services.empty());
}

TEST_CASE("sqlite store: close commits what was saved before it", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    bool called = false;
    s->save({put(make_instance("web", "a1"))}, 1, [&](std::string) { called = true; });
    s->close();  // the loop never ran: the commit still happened
    std::string after_close = "unset";
    s->save({put(make_instance("web", "a2"))}, 2, [&](std::string e) { after_close = e; });
    CHECK_FALSE(after_close.empty());
    CHECK(after_close != "unset");
  }
  Loaded loaded = reopen(dir);
  CHECK(loaded.index == 1);
  REQUIRE(loaded.instances().size() == 1);
  CHECK(loaded.instances()[0]->id == "a1");
}

TEST_CASE("sqlite store: results of batches that queued together arrive in order", "[sqlite]") {
  TempDir dir;
  Loop l;
  Loaded loaded;
  auto s = open_ok(l, dir, loaded);
  std::vector<int> order;
  for (int n = 1; n <= 3; ++n) {
    s->save({put(make_instance("web", "a" + std::to_string(n)))}, static_cast<uint64_t>(n),
            [&order, n](std::string err) {
              CHECK(err.empty());
              order.push_back(n);
            });
  }
  while (order.size() < 3) {
    uv_run(&l.loop, UV_RUN_ONCE);
  }
  CHECK(order == std::vector<int>{1, 2, 3});
  s->close();
  CHECK(reopen(dir).instances().size() == 3);
}

TEST_CASE("sqlite store: a batch is one transaction, and a failed one is dropped whole", "[sqlite]") {
  TempDir dir;
  Loop l;
  Loaded loaded;
  auto s = open_ok(l, dir, loaded);
  // Another connection plants a trigger that fails the batch at its last change.
  sql(dir.db(),
      "CREATE TRIGGER poison BEFORE INSERT ON instances WHEN NEW.id = 'zz' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  std::vector<StoredChange> batch;
  for (int n = 0; n < 200; ++n) {
    batch.push_back(put(make_instance("web", "a" + std::to_string(n))));
  }
  batch.push_back(put(make_instance("web", "zz")));
  std::string err = save_wait(l, *s, batch, 201);
  CHECK(err.rfind("store: ", 0) == 0);
  CHECK(err.find("injected failure") != std::string::npos);
  {
    Loaded now;
    std::string e;
    Loop l2;
    auto peek = SqliteStore::open(&l2.loop, dir.path, now, e);
    REQUIRE(peek);
    CHECK(now.services.empty());  // none of the 201 changes is visible
    CHECK(now.index == 0);
    peek->close();
  }
  sql(dir.db(), "DROP TRIGGER poison;");
  CHECK(save_wait(l, *s, {put(make_instance("api", "b1"))}, 202).empty());
  s->close();
  Loaded after = reopen(dir);
  CHECK(after.index == 202);
  // The registry undid the failed batch (its writes got 503): it must never reach the disk.
  CHECK(after.instances().size() == 1);
  CHECK_FALSE(find(after, "web", "zz"));
  CHECK(find(after, "api", "b1"));
}

TEST_CASE("sqlite store: a file that is not a database is refused untouched", "[sqlite]") {
  for (size_t size : {size_t(5), size_t(16), size_t(8192)}) {
    TempDir dir;
    std::string garbage(size, '\0');
    std::mt19937 rng(static_cast<unsigned>(size));
    for (auto& c : garbage) {
      c = static_cast<char>(rng());
    }
    write_bytes(dir.db(), garbage);
    std::string error = refused(dir);
    CHECK(error.find("not an SQLite database") != std::string::npos);
    CHECK(file_bytes(dir.db()) == garbage);
    CHECK_FALSE(fs::exists(dir.db() + "-wal"));
    CHECK_FALSE(fs::exists(dir.db() + "-journal"));
  }
}

TEST_CASE("sqlite store: a database from a newer srvd is refused untouched", "[sqlite]") {
  TempDir dir;
  sql(dir.db(), "CREATE TABLE instances(service, id, doc); PRAGMA user_version = 3;");
  std::string before = file_bytes(dir.db());
  std::string error = refused(dir);
  CHECK(error.find("was written by a newer srvd (schema version 3; this srvd reads up to 2)") !=
        std::string::npos);
  CHECK(file_bytes(dir.db()) == before);
  CHECK(pragma(dir.db(), "journal_mode") == "delete");
}

TEST_CASE("sqlite store: someone else's database is refused", "[sqlite]") {
  TempDir dir;
  sql(dir.db(), "CREATE TABLE customers(name);");
  std::string before = file_bytes(dir.db());
  CHECK(refused(dir).find("did not create") != std::string::npos);
  CHECK(file_bytes(dir.db()) == before);
}

TEST_CASE("sqlite store: a document that does not parse is refused, naming its key", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    CHECK(save_wait(l, *s, {put(make_instance("web", "a1")), put(make_instance("web", "a2"))}, 2)
              .empty());
    s->close();
  }
  sql(dir.db(), "UPDATE instances SET doc = '{\"address\": \"10.0.0.1\"' WHERE id = 'a2';");
  std::string before = file_bytes(dir.db());
  std::string error = refused(dir);
  CHECK(error.find("web/a2") != std::string::npos);
  CHECK(error.find("not JSON") != std::string::npos);
  CHECK(file_bytes(dir.db()) == before);

  sql(dir.db(), "UPDATE instances SET doc = '{\"address\": \"10.0.0.1\", \"port\": 0}';");
  CHECK(refused(dir).find("port") != std::string::npos);
}

TEST_CASE("sqlite store: loads by service and id, whatever case a key was stored in",
          "[sqlite]") {
  TempDir dir;
  std::vector<Instance> all;
  for (const char* service : {"web", "api", "db"}) {
    for (const char* id : {"b2", "a1", "c3"}) {
      all.push_back(make_instance(service, id));
    }
  }
  make_v1_db(dir, all, 9);
  // A key another program stored in capitals names the same instance as srvd's lowercase one,
  // and the row that comes later in key order wins, as it did when rows were restored in turn.
  sql(dir.db(),
      "INSERT INTO instances SELECT 'WEB', 'A1', replace(doc, '\"port\":8080', '\"port\":8081') "
      "FROM instances WHERE service = 'web' AND id = 'a1';"
      "UPDATE instances SET doc = replace(doc, '\"port\":8080', '\"port\":8082') "
      "WHERE service = 'web' AND id = 'a1';");
  for (int round = 0; round < 2; ++round) {  // as migrated, then as loaded from the log
    Loaded loaded = reopen(dir);
    CHECK(loaded.index == 9);
    std::vector<std::string> keys;
    for (const auto* i : loaded.instances()) {
      keys.push_back(i->service + "/" + i->id);
    }
    CHECK(keys == std::vector<std::string>{"api/a1", "api/b2", "api/c3", "db/a1", "db/b2",
                                           "db/c3", "web/a1", "web/b2", "web/c3"});
    REQUIRE(find(loaded, "web", "a1") != nullptr);
    CHECK(find(loaded, "web", "a1")->port == 8082);  // 'web' sorts after 'WEB'
    for (const auto& [name, service] : loaded.services) {
      for (const auto& [id, inst] : service) {
        CHECK(inst.service == name);
        CHECK(inst.id == id);
      }
    }
  }
  // srvd's removal of the instance removes it whichever row it was loaded from.
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    CHECK(save_wait(l, *s, {removal("web", "a1")}, 10).empty());
    s->close();
  }
  CHECK_FALSE(find(reopen(dir), "web", "a1"));
}

TEST_CASE("sqlite store: a database of schema version 1 is migrated, loading the same registry",
          "[sqlite]") {
  TempDir dir;
  std::vector<Instance> all;
  for (int n = 0; n < 300; ++n) {
    Instance i = make_instance("svc" + std::to_string(n % 7), "i" + std::to_string(n * 37 % 300),
                               static_cast<uint16_t>(1000 + n));
    if (n % 3 == 0) {
      i.check = registry::CheckSpec{registry::CheckSpec::Kind::tcp, "10.0.0.1:22"};
    }
    all.push_back(i);
  }
  make_v1_db(dir, all, 42);
  auto same = [&](const Loaded& loaded, const std::vector<Instance>& want) {
    REQUIRE(loaded.instances().size() == want.size());
    for (const auto& w : want) {
      const Instance* got = find(loaded, w.service, w.id);
      REQUIRE(got);
      CHECK(registry::to_stored_json(*got) == registry::to_stored_json(w));
    }
  };
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    CHECK(loaded.index == 42);
    same(loaded, all);
    CHECK(pragma(dir.db(), "user_version") == "2");
    CHECK(scalar(dir.db(), "SELECT count(*) FROM instances") == "300");
    CHECK(scalar(dir.db(), "SELECT count(*) FROM sqlite_schema WHERE name = 'instances_v1'") ==
          "0");
    // The migrated rows are updated and removed like any others.
    all[0].port = 7;
    CHECK(save_wait(l, *s, {put(all[0]), removal(all[1].service, all[1].id)}, 43).empty());
    all.erase(all.begin() + 1);
    s->close();
  }
  Loaded after = reopen(dir);
  CHECK(after.index == 43);
  same(after, all);
}

TEST_CASE("sqlite store: rows that no longer count are deleted, and removals stay removed",
          "[sqlite]") {
  TempDir dir;
  Loop l;
  Loaded loaded;
  auto s = open_ok(l, dir, loaded);
  uint64_t index = 0;
  auto round = [&](int first, int last, uint16_t port) {
    std::vector<StoredChange> batch;
    for (int n = first; n < last; ++n) {
      batch.push_back(put(make_instance("web", "a" + std::to_string(n), port)));
    }
    CHECK(save_wait(l, *s, std::move(batch), ++index).empty());
  };
  for (uint16_t r = 1; r <= 50; ++r) {
    round(0, 100, r);  // every round leaves 100 dead rows
  }
  std::vector<StoredChange> removals;
  for (int n = 50; n < 100; ++n) {
    removals.push_back(removal("web", "a" + std::to_string(n)));
  }
  CHECK(save_wait(l, *s, std::move(removals), ++index).empty());
  // Enough rounds for every row older than the removals, and the removals, to be deleted.
  for (uint16_t r = 51; r <= 200; ++r) {
    round(0, 50, r);
  }
  s->close();
  auto rows = std::stoul(scalar(dir.db(), "SELECT count(*) FROM instances"));
  CHECK(rows <= 50 + store::SqliteWriter::kCompactMin + 100);  // 50 live; 100 + 50 * 200 appended
  CHECK(scalar(dir.db(), "SELECT count(*) FROM instances WHERE doc IS NULL") == "0");
  Loaded after = reopen(dir);
  CHECK(after.index == index);
  REQUIRE(after.instances().size() == 50);
  for (const auto* i : after.instances()) {
    CHECK(i->port == 200);
    CHECK(std::stoi(i->id.substr(1)) < 50);
  }
}

TEST_CASE("sqlite store: the WAL is written over from its start, so its file stays small",
          "[sqlite]") {
  // Appending to a growing WAL costs every commit's fdatasync an inode and metadata write
  // (sqlite_writer.hpp); once checkpointed, the WAL must be reused from its first frame.
  TempDir dir;
  Loop l;
  Loaded loaded;
  auto s = open_ok(l, dir, loaded);
  const auto wal_limit = static_cast<uintmax_t>(store::SqliteWriter::kCheckpointFrames + 64) *
                         (4096 + 24) + 32;  // frames of 4 KiB pages, 24-byte headers
  uintmax_t largest = 0;
  for (int b = 0; b < 250; ++b) {
    std::vector<StoredChange> batch;
    for (int n = 0; n < 200; ++n) {  // all live: nothing to compact
      batch.push_back(put(make_instance("web", "b" + std::to_string(b) + "-" + std::to_string(n))));
    }
    REQUIRE(save_wait(l, *s, std::move(batch), static_cast<uint64_t>(b + 1)).empty());
    largest = std::max(largest, fs::file_size(dir.db() + "-wal"));
  }
  CHECK(largest <= wal_limit);
  // More went through the WAL than it could hold without starting over.
  CHECK(fs::file_size(dir.db()) > 2 * wal_limit);
  s->close();
  CHECK(reopen(dir).instances().size() == 250 * 200);
}

TEST_CASE("sqlite store: a corrupted database is refused untouched", "[sqlite]") {
  TempDir dir;
  {
    Loop l;
    Loaded loaded;
    auto s = open_ok(l, dir, loaded);
    std::vector<StoredChange> batch;
    for (int n = 0; n < 400; ++n) {
      Instance i = make_instance("web", "instance-" + std::to_string(n));
      i.meta["padding"] = std::string(200, 'p');  // spread the rows over many pages
      batch.push_back(put(i));
    }
    CHECK(save_wait(l, *s, std::move(batch), 400).empty());
    batch.clear();
    for (int n = 100; n < 400; ++n) {
      batch.push_back(removal("web", "instance-" + std::to_string(n)));
    }
    CHECK(save_wait(l, *s, std::move(batch), 401).empty());
    s->close();
  }
  // Removals append rows; free pages come from a table an operator made and dropped.
  sql(dir.db(),
      "CREATE TABLE scratch(x); INSERT INTO scratch SELECT randomblob(3000) FROM instances;"
      "DROP TABLE scratch;");
  CHECK(reopen(dir).instances().size() == 100);
  const auto page = std::stoll(pragma(dir.db(), "page_size"));
  const auto pages = static_cast<long long>(fs::file_size(dir.db())) / page;
  REQUIRE(pages > 20);

  SECTION("the instances table's root page header overwritten") {
    auto root = std::stoll(scalar(dir.db(),
                                  "SELECT rootpage FROM sqlite_schema "
                                  "WHERE name = 'instances'"));
    REQUIRE(root > 1);
    write_bytes(dir.db(), std::string(12, '\x7f'), (root - 1) * page);
  }
  SECTION("the freelist, which loading never reads, pointing outside the file") {
    // https://sqlite.org/fileformat.html §1.3: offset 32 holds the first freelist trunk page.
    std::string header = file_bytes(dir.db()).substr(32, 4);
    long long trunk = 0;
    for (char c : header) {
      trunk = trunk * 256 + static_cast<unsigned char>(c);
    }
    REQUIRE(trunk > 1);
    write_bytes(dir.db(), std::string(8, '\x7f'), (trunk - 1) * page);
  }
  SECTION("the file truncated to half its pages") {
    fs::resize_file(dir.db(), static_cast<uintmax_t>(pages / 2 * page));
  }
  std::string before = file_bytes(dir.db());
  std::string error = refused(dir);
  INFO(error);
  CHECK((error.find("integrity check") != std::string::npos ||
         error.find("malformed") != std::string::npos));
  CHECK(file_bytes(dir.db()) == before);
}
