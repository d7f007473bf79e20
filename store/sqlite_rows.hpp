// sqlite_rows.hpp -- which rows of registry.db's instances log still count, and which are garbage.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // of it is dead, known without parsing its document. One hash lookup per row.
  /// Room for n keys, so that load does not rehash as it goes.
  void load_reserve(size_t n) { live_.reserve(n); }
  /// Row `seq` of the key: true if it is the key's newest (a document: live; a removal: dead,
  /// as record says); false if a newer row was read already (this one is dead).
  bool load_claim(std::string_view service, std::string_view id, int64_t seq, bool removal);
  /// Forgets a claim: the row turned out to name another key (stored in another case).
  void load_unclaim(std::string_view service, std::string_view id) {
    live_.erase(key(service, id));
  }
  /// Every row read: drops what only load needed (the keys whose newest row is a removal).
  void load_done();

  size_t live() const { return live_.size(); }
  size_t dead() const { return dead_.size(); }
  /// Up to n of the oldest dead rows, no longer tracked: the caller deletes them, and hands them
  /// back with add_dead if that fails.
  std::vector<int64_t> take_oldest_dead(size_t n);

 private:
  /// service '\0' id: names hold no NUL, and one string (short ones inline) per key is half
  /// the memory of a pair.
  static std::string key(std::string_view service, std::string_view id);

  /// Each key's live row. During load also keys whose newest row is a removal, as -seq.
  std::unordered_map<std::string, int64_t> live_;
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> dead_;
};

}  // namespace srvd::store
