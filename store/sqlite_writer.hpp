// sqlite_writer.hpp -- the thread that commits save batches to registry.db, one transaction each.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "registry/store.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_rows.hpp"

namespace srvd::store {

/// Owns the connection once the database is open, and a thread that commits what submit() hands
/// it. fsync happens off the control loop; the loop learns of results through `wake`.
///
/// A batch that fails to commit (disk full, I/O error) is rolled back and dropped: the registry
/// undoes its changes too (srvd/durability.cpp) and their writes get 503, so retrying it later
/// would bring back what users were told did not happen. Batches queued together are merged
/// per instance (the last state wins) into one transaction.
///
/// Checkpoints are this thread's too, never part of a commit: SQLite's automatic checkpoint
/// (every 1,000 WAL pages, inside the COMMIT that crosses the line) is off, and once the WAL
/// holds kCheckpointFrames pages, a passive checkpoint runs right after a batch's result has
/// been handed back, so no write waits for it. The WAL then starts over from its beginning,
/// overwriting blocks the file already has: appending to a growing file made each commit's
/// fdatasync also write the inode and allocation metadata, ~180 instead of ~100 us of kernel
/// CPU per commit on the benchmark VM (bench/RESULTS.md), so the WAL is kept small enough
/// that a restarted srvd is past its growing phase within a second of writes.
///
/// Each change appends a row to the instances log (RowIndex), so a batch dirties the pages at
/// the table's end, not one page per change. Rows that no longer count are deleted by this
/// thread too, oldest first, at most kCompactRows per batch answered, once there are at least
/// kCompactMin of them and half as many as live rows: the file stays within ~1.5x of the
/// live rows, and a page holding many dead rows is rewritten once for all of them.
class SqliteWriter {
 public:
  static constexpr int kCheckpointFrames = 1024;  ///< 4 MiB of 4 KiB pages
  static constexpr size_t kCompactMin = 4096;
  static constexpr size_t kCompactRows = 2048;

  /// Prepares the statements and starts the thread; nullptr with `error` if SQLite refuses.
  /// `wake` is called on the writer thread after each result is ready (it must be thread-safe:
  /// uv_async_send). `committed_index` is the index the database holds now.
  /// `rows` is what load found in the log.
  static std::unique_ptr<SqliteWriter> start(DbPtr db, uint64_t committed_index, RowIndex rows,
                                             std::function<void()> wake, std::string& error);
  ~SqliteWriter();
  SqliteWriter(const SqliteWriter&) = delete;
  SqliteWriter& operator=(const SqliteWriter&) = delete;

  /// Queues a batch; its result arrives, in submit order, through take_results().
  void submit(std::vector<registry::StoredChange> batch, uint64_t index);
  /// Results ready since the last call, oldest first: "" committed, else "store: <why>".
  std::vector<std::string> take_results();
  /// Commits everything already submitted, stops the thread and closes the database.
  /// Idempotent.
  void stop();

 private:
  struct Job {
    std::vector<registry::StoredChange> batch;
    uint64_t index = 0;
  };
  using Key = std::pair<std::string, std::string>;  // service, id

  /// A row appended by the transaction in progress, recorded in rows_ once it commits.
  struct Appended {
    const Key* key;  ///< in pending_
    int64_t seq;
    bool removal;
  };

  SqliteWriter(DbPtr db, uint64_t committed_index, RowIndex rows, std::function<void()> wake);
  void run();
  void merge(std::vector<registry::StoredChange>& batch);
  std::string flush(uint64_t index);
  std::string write_pending(uint64_t index);
  void checkpoint_if_due();
  void compact_if_due();

  // Shared with the loop thread, under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::vector<std::string> results_;
  bool stopping_ = false;

  // The writer thread's alone once it runs. db_ first: statements are finalized before it closes.
  DbPtr db_;
  StmtPtr begin_, commit_, rollback_, append_, delete_row_, set_index_;
  std::map<Key, std::optional<registry::Instance>> pending_;  ///< nullopt: delete
  std::vector<Appended> appended_;
  uint64_t committed_index_;
  RowIndex rows_;
  int wal_frames_ = 0;  ///< frames in the WAL since it was last checkpointed (sqlite3_wal_hook)
  std::function<void()> wake_;
  std::thread thread_;
};

}  // namespace srvd::store
