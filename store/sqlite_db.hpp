// sqlite_db.hpp -- owning handles for sqlite3 connections and statements, and error-as-value calls.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

namespace srvd::store {

struct DbClose {
  // sqlite3_close_v2 defers the close until every statement is finalized, so the order in
  // which a connection's owner destroys its members cannot leak or fail.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

/// The connection's last error, for messages ("database disk image is malformed").
inline std::string db_error(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

/// Runs SQL that returns no rows. Returns an error message, or empty.
inline std::string db_exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) {
    return {};
  }
  std::string err = msg ? msg : db_error(db);
  sqlite3_free(msg);
  return err;
}

/// Compiles one statement; nullptr on error (read it with db_error).
inline StmtPtr db_prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st,
                     nullptr);
  return StmtPtr(st);  // takes ownership
}

/// Binds text that SQLite copies, so the caller's string may go at once.
inline int db_bind_text(sqlite3_stmt* st, int col, std::string_view text) {
  return sqlite3_bind_text(st, col, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

/// A column as text ("" for NULL).
inline std::string db_column_text(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, col))) : std::string();
}

/// A column as text in SQLite's own buffer ("" for NULL): valid until the statement is
/// stepped, reset or finalized, or the column is read as another type.
inline std::string_view db_column_view(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(st, col)))
           : std::string_view();
}

}  // namespace srvd::store
