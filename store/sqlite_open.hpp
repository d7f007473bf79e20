// sqlite_open.hpp -- opening registry.db: refuse what is untrusted, create what is missing, load.
#pragma once

#include <string>

#include "store/sqlite_db.hpp"
#include "store/sqlite_rows.hpp"
#include "store/sqlite_store.hpp"

namespace srvd::store {

/// The schema version this srvd writes and reads (PRAGMA user_version).
/// 1: one row per instance; 2: a log of changes (RowIndex), migrated to from 1 on open.
constexpr int kSqliteSchemaVersion = 2;

/// Opens (creating DIR and the database if missing) `DIR/registry.db`, checks it and reads every
/// instance into `loaded`. Nothing is written to an existing file until every check passed:
/// on refusal, returns nullptr with `error` naming the file and the reason. On success the
/// connection is in WAL mode with synchronous=FULL and the schema exists (a version-1 database
/// migrated), and `rows` says which rows of the log count.
DbPtr open_registry_db(const std::string& dir, Loaded& loaded, RowIndex& rows,
                       std::string& error);

}  // namespace srvd::store
