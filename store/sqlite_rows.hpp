// sqlite_rows.hpp -- which rows of registry.db's instances log still count, and which are garbage.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace srvd::store {

/// The instances table (schema version 2) is a log: every committed change appends one row,
/// `seq` ascending, holding the instance's whole document, or NULL for its removal. Appending
/// makes a batch dirty the few pages at the table's end, where keying by (service, id) made each
/// change rewrite its own leaf page somewhere in the table (one 4 KiB WAL frame per write).
///
/// A row is dead once a later row for its key is committed; a removal row is dead at once. Dead
/// rows are deleted later, oldest first (take_oldest_dead), which is what keeps a removal row
/// until every older row of its key is gone: they all have smaller seqs and are dead too.
/// Kept by the writer thread only (load fills it first, before the thread starts).
class RowIndex {
 public:
  /// Whether `service`/`id` has a live document row.
  bool has(std::string_view service, std::string_view id) const;
  /// Row `seq` (greater than every seq recorded before) now holds the key's state: a document,
  /// or its removal. The key's previous row, if any, is dead.
  void record(std::string_view service, std::string_view id, int64_t seq, bool removal);
  /// Rows handed back after a failed delete, or found dead by load.
  void add_dead(int64_t seq) { dead_.push(seq); }

  // Load reads the rows newest first, so a key's first row is its state and every other row
  // of it is dead, known without parsing its document.
  /// Whether a newer row of the key was read already.
  bool seen(std::string_view service, std::string_view id) const;
  /// Row `seq` is the key's newest: a document (live) or its removal (dead, as record says).
  void load_newest(std::string_view service, std::string_view id, int64_t seq, bool removal);
  /// Every row read: drops what only load needed.
  void load_done() { removed_.clear(); }

  size_t live() const { return live_.size(); }
  size_t dead() const { return dead_.size(); }
  /// Up to n of the oldest dead rows, no longer tracked: the caller deletes them, and hands them
  /// back with add_dead if that fails.
  std::vector<int64_t> take_oldest_dead(size_t n);

 private:
  /// service '\0' id: names hold no NUL, and one string (short ones inline) per key is half
  /// the memory of a pair.
  static std::string key(std::string_view service, std::string_view id);

  std::unordered_map<std::string, int64_t> live_;
  std::unordered_set<std::string> removed_;  ///< during load: keys whose newest row is a removal
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> dead_;
};

}  // namespace srvd::store
