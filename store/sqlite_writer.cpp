// sqlite_writer.cpp -- the thread that commits save batches to registry.db, one transaction each.
#include "store/sqlite_writer.hpp"

#include <pthread.h>

#include "registry/stored_instance.hpp"

namespace srvd::store {
namespace {

/// Runs a prepared statement to completion and makes it reusable; "" or SQLite's message.
std::string run_statement(sqlite3* db, sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  std::string err = rc == SQLITE_DONE ? std::string() : db_error(db);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return err;
}

}  // namespace

std::unique_ptr<SqliteWriter> SqliteWriter::start(DbPtr db, uint64_t committed_index,
                                                  RowIndex rows, std::function<void()> wake,
                                                  std::string& error) {
  std::unique_ptr<SqliteWriter> w(
      new SqliteWriter(std::move(db), committed_index, std::move(rows), std::move(wake)));
  sqlite3* d = w->db_.get();
  // Prepared once and reused for every batch: a batch costs binds and steps, not parsing.
  w->begin_ = db_prepare(d, "BEGIN IMMEDIATE");
  w->commit_ = db_prepare(d, "COMMIT");
  w->rollback_ = db_prepare(d, "ROLLBACK");
  w->append_ = db_prepare(d, "INSERT INTO instances(service, id, doc) VALUES(?1, ?2, ?3)");
  w->delete_row_ = db_prepare(d, "DELETE FROM instances WHERE seq = ?1");
  w->set_index_ = db_prepare(d,
                             "INSERT INTO meta(key, value) VALUES('index', ?1) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!w->begin_ || !w->commit_ || !w->rollback_ || !w->append_ || !w->delete_row_ || !w->set_index_) {
    error = "store: cannot prepare statements: " + db_error(d);
    return nullptr;  // the thread never started, so the destructor only closes the database
  }
  // Appends touch the table's last pages only, but a compaction reads old ones: SQLite's
  // default 2 MiB cache would miss on most of them, and each miss is a pread. More than 8 MiB
  // would count against the RSS target at 100,000 (issue 6 §9).
  if (auto err = db_exec(d, "PRAGMA cache_size = -8192"); !err.empty()) {
    error = "store: " + err;
    return nullptr;
  }
  sqlite3_wal_autocheckpoint(d, 0);  // checkpoint_if_due() instead, outside the commit
  sqlite3_wal_hook(
      d,
      [](void* self, sqlite3*, const char*, int frames) noexcept {
        static_cast<SqliteWriter*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      w.get());
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  pthread_setname_np(w->thread_.native_handle(), "srvd-sqlite");  // for top -H and perf
  return w;
}

SqliteWriter::SqliteWriter(DbPtr db, uint64_t committed_index, RowIndex rows,
                           std::function<void()> wake)
    : db_(std::move(db)),
      committed_index_(committed_index),
      rows_(std::move(rows)),
      wake_(std::move(wake)) {}

SqliteWriter::~SqliteWriter() { stop(); }

void SqliteWriter::submit(std::vector<registry::StoredChange> batch, uint64_t index) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Job{std::move(batch), index});
  }
  cv_.notify_one();
}

std::vector<std::string> SqliteWriter::take_results() {
  std::lock_guard lock(mu_);
  return std::exchange(results_, {});
}

void SqliteWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
  begin_.reset();
  commit_.reset();
  rollback_.reset();
  append_.reset();
  delete_row_.reset();
  set_index_.reset();
  db_.reset();  // the last connection checkpoints the WAL into registry.db and removes it
}

void SqliteWriter::run() {
  for (;;) {
    std::deque<Job> jobs;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything submitted has been committed
      }
      jobs.swap(queue_);
    }
    // Batches that queued up while the previous one was syncing share one transaction.
    std::string err;
    try {
      for (auto& job : jobs) {
        merge(job.batch);
      }
      err = flush(jobs.back().index);
    } catch (const std::exception& e) {
      err = std::string("store: ") + e.what();  // no exception may end the thread
    }
    {
      std::lock_guard lock(mu_);
      results_.insert(results_.end(), jobs.size(), err);
    }
    wake_();
    // While the loop answers this batch's writes.
    compact_if_due();
    checkpoint_if_due();
  }
}

void SqliteWriter::compact_if_due() {
  if (rows_.dead() < kCompactMin || rows_.dead() * 2 < rows_.live()) {
    return;
  }
  // Deleting rows that no longer count loses nothing whether it commits or not; a failure
  // keeps them for the next try.
  sqlite3* db = db_.get();
  std::vector<int64_t> seqs = rows_.take_oldest_dead(kCompactRows);
  std::string err = run_statement(db, begin_.get());
  for (size_t i = 0; err.empty() && i < seqs.size(); ++i) {
    sqlite3_bind_int64(delete_row_.get(), 1, seqs[i]);
    err = run_statement(db, delete_row_.get());
  }
  if (err.empty()) {
    err = run_statement(db, commit_.get());
  }
  if (!err.empty()) {
    if (sqlite3_get_autocommit(db) == 0) {
      run_statement(db, rollback_.get());
    }
    for (int64_t seq : seqs) {
      rows_.add_dead(seq);
    }
  }
}

void SqliteWriter::checkpoint_if_due() {
  if (wal_frames_ < kCheckpointFrames) {
    return;
  }
  // PASSIVE: copies what it can without waiting on anybody (an operator's sqlite3 shell
  // reading). A failure leaves the WAL as it is, still durable; the next batch tries again.
  int log = 0, done = 0;
  if (sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done) ==
          SQLITE_OK &&
      log == done) {
    wal_frames_ = 0;
  }
}

void SqliteWriter::merge(std::vector<registry::StoredChange>& batch) {
  for (auto& change : batch) {
    // A heartbeat changes nothing worth an fsync: after a restart a TTL instance gets a fresh
    // window anyway (heartbeat_at_ms is not stored).
    if (change.renew_only) {
      continue;
    }
    pending_[Key{change.service, change.id}] = std::move(change.instance);
  }
}

std::string SqliteWriter::flush(uint64_t index) {
  if (pending_.empty() && index == committed_index_) {
    return {};
  }
  appended_.clear();
  std::string err = write_pending(index);
  if (err.empty()) {
    for (const auto& a : appended_) {
      rows_.record(a.key->first, a.key->second, a.seq, a.removal);
    }
  }
  appended_.clear();
  pending_.clear();  // committed, or refused whole (see the class comment)
  if (!err.empty()) {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      run_statement(db_.get(), rollback_.get());
    }
    return "store: " + err;
  }
  committed_index_ = index;
  return {};
}

std::string SqliteWriter::write_pending(uint64_t index) {
  sqlite3* db = db_.get();
  if (auto err = run_statement(db, begin_.get()); !err.empty()) {
    return err;
  }
  sqlite3_stmt* st = append_.get();
  for (const auto& [key, inst] : pending_) {
    if (!inst && !rows_.has(key.first, key.second)) {
      continue;  // nothing stored to remove
    }
    db_bind_text(st, 1, key.first);
    db_bind_text(st, 2, key.second);
    if (inst) {
      db_bind_text(st, 3, registry::to_stored_json(*inst));
    }  // else doc stays NULL (cleared bindings): the removal
    if (auto err = run_statement(db, st); !err.empty()) {
      return err;
    }
    appended_.push_back(Appended{&key, sqlite3_last_insert_rowid(db), !inst});
  }
  sqlite3_bind_int64(set_index_.get(), 1, static_cast<int64_t>(index));
  if (auto err = run_statement(db, set_index_.get()); !err.empty()) {
    return err;
  }
  return run_statement(db, commit_.get());
}

}  // namespace srvd::store
