// sqlite_store.hpp -- the embedded store: one SQLite database in WAL mode, written by group commit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "registry/instance.hpp"
#include "registry/registry.hpp"
#include "registry/store.hpp"

struct uv_loop_s;

namespace srvd::store {

/// What the database held when it was opened.
struct Loaded {
  /// By service, then id: the registry's own layout, which Registry::restore moves in whole
  /// (100,000 instances are built once, in place, and never copied or moved).
  registry::Registry::Services services;
  uint64_t index = 0;  ///< the change index of the last committed batch (0: new database)

  /// Every instance, in key order.
  std::vector<const registry::Instance*> instances() const {
    std::vector<const registry::Instance*> all;
    for (const auto& [name, service] : services) {
      for (const auto& [id, inst] : service) {
        all.push_back(&inst);
      }
    }
    return all;
  }
};

/// DIR/registry.db, opened with synchronous=FULL in WAL mode: a commit returns only once it
/// is on disk. save() hands the batch to one writer thread, which commits it as one
/// transaction (one fsync however many changes it holds) and reports back on the loop.
class SqliteStore final : public registry::Store {
 public:
  /// Opens DIR/registry.db, creating DIR and the database if missing, and reads every instance
  /// into `loaded`. A file that is not a database, fails SQLite's integrity check, holds a
  /// document that does not parse, or was written by a newer srvd (schema version) is refused:
  /// nullptr, `error` says which and names the file, and the file is left untouched.
  static std::unique_ptr<SqliteStore> open(uv_loop_s* loop, const std::string& dir,
                                           Loaded& loaded, std::string& error);
  ~SqliteStore() override;

  void save(std::vector<registry::StoredChange> batch, uint64_t index,
            std::function<void(std::string error)> done) override;
  void close() override;

  class Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace srvd::store
