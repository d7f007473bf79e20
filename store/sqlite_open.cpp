// sqlite_open.cpp -- opening registry.db: refuse what is untrusted, create what is missing, load.
#include "store/sqlite_open.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <variant>

#include "registry/stored_instance.hpp"

namespace srvd::store {
namespace {

namespace fs = std::filesystem;

// Version 2: the instances table is a log of changes in commit order (see RowIndex): a
// document per row, NULL for a removal. Version 1 kept one row per (service, id), which made
// every write rewrite its own leaf page.
#define SRVD_INSTANCES_V2                                                             \
  "CREATE TABLE instances(seq INTEGER PRIMARY KEY, service TEXT NOT NULL, id TEXT NOT NULL," \
  "                       doc TEXT);"

constexpr char kCreateSchema[] =
    "BEGIN IMMEDIATE;" SRVD_INSTANCES_V2
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
    "INSERT INTO meta(key, value) VALUES('index', 0);"
    "PRAGMA user_version = 2;"
    "COMMIT;";

// Rows copied in key order, byte for byte: loading the log (later row wins) gives what loading
// version 1 in key order gave, even for keys stored in another case that normalize alike.
constexpr char kMigrateV1[] =
    "BEGIN IMMEDIATE;"
    "ALTER TABLE instances RENAME TO instances_v1;" SRVD_INSTANCES_V2
    "INSERT INTO instances(service, id, doc) "
    "  SELECT service, id, doc FROM instances_v1 ORDER BY service, id;"
    "DROP TABLE instances_v1;"
    "PRAGMA user_version = 2;"
    "COMMIT;";
#undef SRVD_INSTANCES_V2

/// Why the file must not be opened by SQLite at all, or empty. Checked on the raw bytes because
/// SQLite may write to a file it opens (journal mode, recovery) before it notices it is not a
/// database. A missing or zero-length file is a new database.
std::string check_header(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec == std::errc::no_such_file_or_directory || (!ec && size == 0)) {
    return {};
  }
  if (ec) {
    return "cannot be read: " + ec.message();
  }
  // The first 16 bytes of every SQLite 3 database (https://sqlite.org/fileformat.html §1.3).
  static constexpr char kMagic[16] = "SQLite format 3";
  char head[16] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(head, sizeof head) || std::memcmp(head, kMagic, sizeof head) != 0) {
    return "is not an SQLite database";
  }
  return {};
}

/// Runs a one-row, one-column query; `error` on failure.
int64_t query_int(sqlite3* db, const char* sql, std::string& error) {
  StmtPtr st = db_prepare(db, sql);
  int rc = st ? sqlite3_step(st.get()) : SQLITE_ERROR;
  if (rc != SQLITE_ROW) {
    error = rc == SQLITE_DONE ? "no row" : db_error(db);
    return 0;
  }
  return sqlite3_column_int64(st.get(), 0);
}

/// SQLite's own check of page and index structure: "" when it says ok.
std::string quick_check(sqlite3* db) {
  StmtPtr st = db_prepare(db, "PRAGMA quick_check");
  if (!st) {
    return db_error(db);
  }
  int rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW) {
    return db_error(db);
  }
  std::string first = db_column_text(st.get(), 0);
  if (first == "ok") {
    return {};
  }
  std::replace(first.begin(), first.end(), '\n', ' ');  // "*** in database main ***\nPage 46: ..."
  return first;
}

/// The change index of the last committed batch.
std::string load_index(sqlite3* db, Loaded& loaded) {
  std::string error;
  int64_t index = query_int(db, "SELECT value FROM meta WHERE key = 'index'", error);
  if (!error.empty()) {
    return "has no readable change index: " + error;
  }
  loaded.index = static_cast<uint64_t>(index);
  return {};
}

std::string parse_error(std::string_view service, std::string_view id, const std::string& err) {
  return "holds a document for " + std::string(service) + "/" + std::string(id) +
         " that does not parse: " + err;
}

/// Reads every instance of a version-1 database (one row per key); error names the key. Only
/// to check it before it is migrated.
std::string load_v1(sqlite3* db, Loaded& loaded) {
  if (auto err = load_index(db, loaded); !err.empty()) {
    return err;
  }
  StmtPtr st = db_prepare(db, "SELECT service, id, doc FROM instances ORDER BY service, id");
  if (!st) {
    return "cannot be read: " + db_error(db);
  }
  // Rows come in key order, so each instance goes in at the end of its service's map (the
  // hint makes that O(1)), and a service is looked up once, not once per instance.
  auto sit = loaded.services.end();
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    // Read in place: the views last until the next step, and nothing keeps them.
    std::string_view service = db_column_view(st.get(), 0);
    std::string_view id = db_column_view(st.get(), 1);
    auto parsed = registry::from_stored_json(db_column_view(st.get(), 2), service, id);
    if (auto* err = std::get_if<std::string>(&parsed)) {
      return parse_error(service, id, *err);
    }
    auto& inst = std::get<registry::Instance>(parsed);
    if (sit == loaded.services.end() || sit->first != inst.service) {
      sit = loaded.services.try_emplace(loaded.services.end(), inst.service);
    }
    // A key stored in other case than srvd writes normalizes onto another row's: the later
    // row wins, as it always did.
    std::string key = inst.id;
    sit->second.insert_or_assign(sit->second.end(), std::move(key), std::move(inst));
  }
  return rc == SQLITE_DONE ? std::string() : "cannot be read: " + db_error(db);
}

/// Reads the change index and the log of a version-2 database, newest row first: a key's
/// newest row is its state (a removal: none), older ones are dead and are not even parsed.
std::string load_v2(sqlite3* db, Loaded& loaded, RowIndex& rows) {
  if (auto err = load_index(db, loaded); !err.empty()) {
    return err;
  }
  std::string error;
  int64_t last = query_int(db, "SELECT ifnull(max(seq), 0) FROM instances", error);
  if (!error.empty()) {
    return "cannot be read: " + error;
  }
  rows.load_reserve(static_cast<size_t>(last));
  StmtPtr st = db_prepare(db, "SELECT seq, service, id, doc FROM instances ORDER BY seq DESC");
  if (!st) {
    return "cannot be read: " + db_error(db);
  }
  auto sit = loaded.services.end();
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    int64_t seq = sqlite3_column_int64(st.get(), 0);
    // Read in place: the views last until the next step, and nothing keeps them.
    std::string_view service = db_column_view(st.get(), 1);
    std::string_view id = db_column_view(st.get(), 2);
    bool removal = sqlite3_column_type(st.get(), 3) == SQLITE_NULL;
    if (!rows.load_claim(service, id, seq, removal) || removal) {
      continue;
    }
    auto parsed = registry::from_stored_json(db_column_view(st.get(), 3), service, id);
    if (auto* err = std::get_if<std::string>(&parsed)) {
      return parse_error(service, id, *err);
    }
    auto& inst = std::get<registry::Instance>(parsed);
    // A key stored in other case than srvd writes (migrated from version 1) names the
    // lowercase instance: the newer row of the two wins, as the later in key order did.
    if (inst.service != service || inst.id != id) {
      rows.load_unclaim(service, id);
      if (!rows.load_claim(inst.service, inst.id, seq, false)) {
        continue;
      }
    }
    // Rows written together are often of one service, each newer one later in id order
    // (one client's registrations): the hints make that O(1), anything else O(log n).
    if (sit == loaded.services.end() || sit->first != inst.service) {
      sit = loaded.services.try_emplace(inst.service).first;
    }
    std::string key = inst.id;
    sit->second.emplace_hint(sit->second.begin(), std::move(key), std::move(inst));
  }
  rows.load_done();
  return rc == SQLITE_DONE ? std::string() : "cannot be read: " + db_error(db);
}

/// Every check that needs no write, on a connection that will not checkpoint when closed (a
/// checkpoint would copy a WAL left behind into the very file we are refusing).
std::string validate_and_load(sqlite3* db, Loaded& loaded, RowIndex& rows) {
  std::string error;
  int64_t version = query_int(db, "PRAGMA user_version", error);
  if (!error.empty()) {
    return "cannot be read: " + error;
  }
  if (version > kSqliteSchemaVersion) {
    return "was written by a newer srvd (schema version " + std::to_string(version) +
           "; this srvd reads up to " + std::to_string(kSqliteSchemaVersion) + ")";
  }
  if (auto bad = quick_check(db); !bad.empty()) {
    return "fails SQLite's integrity check: " + bad;
  }
  if (version == 0) {
    // Our schema is created in one transaction with its version, so version 0 with tables
    // is somebody else's database.
    int64_t tables = query_int(db, "SELECT count(*) FROM sqlite_schema", error);
    if (!error.empty() || tables != 0) {
      return "is an SQLite database that srvd did not create (schema version 0)";
    }
    return {};
  }
  if (version < 0) {
    return "has an unknown schema version " + std::to_string(version);
  }
  return version == 1 ? load_v1(db, loaded) : load_v2(db, loaded, rows);
}

/// The first writes: WAL (readers never block the writer; one fsync per commit), durability
/// on every commit, and the schema for a new database or the log for a version-1 one.
std::string prepare_for_writes(sqlite3* db, int64_t version) {
  StmtPtr st = db_prepare(db, "PRAGMA journal_mode = WAL");
  if (!st || sqlite3_step(st.get()) != SQLITE_ROW) {
    return "cannot switch to WAL mode: " + db_error(db);
  }
  if (db_column_text(st.get(), 0) != "wal") {
    return "cannot switch to WAL mode (journal mode stays " + db_column_text(st.get(), 0) + ")";
  }
  st.reset();
  if (auto err = db_exec(db, "PRAGMA synchronous = FULL"); !err.empty()) {
    return err;
  }
  if (version == 0) {
    if (auto err = db_exec(db, kCreateSchema); !err.empty()) {
      db_exec(db, "ROLLBACK");
      return "cannot create the schema: " + err;
    }
  }
  if (version == 1) {
    if (auto err = db_exec(db, kMigrateV1); !err.empty()) {
      db_exec(db, "ROLLBACK");
      return "cannot migrate to schema version 2: " + err;
    }
  }
  return {};
}

}  // namespace

DbPtr open_registry_db(const std::string& dir, Loaded& loaded, RowIndex& rows,
                       std::string& error) {
  loaded = Loaded{};
  rows = RowIndex{};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create the data directory " + dir + ": " + ec.message();
    return nullptr;
  }
  std::string path = (fs::path(dir) / "registry.db").string();
  auto refuse = [&](const std::string& why) {
    error = path + " " + why + "; srvd leaves it untouched (move it away to start empty)";
    loaded = Loaded{};
    return nullptr;
  };
  if (auto why = check_header(path); !why.empty()) {
    return refuse(why);
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbPtr db(raw);  // takes ownership: sqlite3_open_v2 returns a handle even when it fails
  if (rc != SQLITE_OK) {
    return refuse("cannot be opened: " + db_error(db.get()));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);  // an operator's sqlite3 shell may hold a lock briefly
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // The integrity check and the load each read every page: mapped, that is no system call and
  // no copy per page (30,000 preads at 100,000 instances). Unmapped again before the writer
  // gets the connection: from then on it reads little, and its RSS should not hold the file.
  db_exec(db.get(), "PRAGMA mmap_size = 1073741824");  // best effort: SQLite may cap it
  auto why = validate_and_load(db.get(), loaded, rows);
  db_exec(db.get(), "PRAGMA mmap_size = 0");
  if (!why.empty()) {
    return refuse(why);
  }
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  std::string err;
  int64_t version = query_int(db.get(), "PRAGMA user_version", err);
  if (err.empty()) {
    err = prepare_for_writes(db.get(), version);
  }
  if (err.empty() && version == 1) {
    // Once per database: the rows were checked in their version-1 table; now read the log
    // they became, for the row index the writer needs.
    loaded = Loaded{};
    rows = RowIndex{};
    db_exec(db.get(), "PRAGMA mmap_size = 1073741824");
    err = load_v2(db.get(), loaded, rows);
    db_exec(db.get(), "PRAGMA mmap_size = 0");
  }
  if (!err.empty()) {
    error = path + ": " + err;
    loaded = Loaded{};
    return nullptr;
  }
  return db;
}

}  // namespace srvd::store
