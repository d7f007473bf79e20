// sqlite_store.cpp -- the embedded Store: opens registry.db, brings save results back to the loop.
#include "store/sqlite_store.hpp"

#include <uv.h>

#include <cstdio>
#include <deque>

#include "store/sqlite_open.hpp"
#include "store/sqlite_writer.hpp"

namespace srvd::store {
namespace {

void free_async(uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); }

}  // namespace

/// Loop-side state. The uv_async_t lives on the heap and is freed by its own close callback,
/// so the store may be destroyed right after close(), before the loop has run again.
class SqliteStore::Impl {
 public:
  Impl(uv_async_t* async, std::unique_ptr<SqliteWriter> writer)
      : async_(async), writer_(std::move(writer)) {
    async_->data = this;
  }

  ~Impl() {
    if (async_ != nullptr) {
      // close() was never called: stop the thread and close the database, but leave the loop
      // alone (it may be gone). The handle is leaked, detached so that a later run of the loop
      // cannot reach this object. Owners must call close(); this only limits the damage.
      writer_->stop();
      async_->data = nullptr;
    }
  }

  void save(std::vector<registry::StoredChange> batch, uint64_t index,
            std::function<void(std::string)> done) {
    if (async_ == nullptr) {
      // The loop may not run again, so this is the one place done is called inside save().
      done("store: closed");
      return;
    }
    waiting_.push_back(std::move(done));
    writer_->submit(std::move(batch), index);
  }

  void close() {
    if (async_ == nullptr) {
      return;
    }
    writer_->stop();   // what was submitted is committed before this returns
    waiting_.clear();  // their results are on disk; the loop is shutting down, nobody waits
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), free_async);
    async_ = nullptr;
  }

  static void on_async(uv_async_t* h) noexcept {
    if (auto* self = static_cast<Impl*>(h->data)) {
      self->deliver();
    }
  }

 private:
  /// uv_async_send coalesces, so one wakeup may carry several results, delivered in order.
  void deliver() {
    for (auto& result : writer_->take_results()) {
      if (waiting_.empty()) {
        break;  // a done callback closed the store
      }
      auto done = std::move(waiting_.front());
      waiting_.pop_front();
      try {
        done(std::move(result));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "srvd: store: a save callback threw: %s\n", e.what());
      }
    }
  }

  uv_async_t* async_;  ///< nullptr once closed
  std::unique_ptr<SqliteWriter> writer_;
  std::deque<std::function<void(std::string)>> waiting_;  ///< one per submitted batch, in order
};

std::unique_ptr<SqliteStore> SqliteStore::open(uv_loop_s* loop, const std::string& dir,
                                               Loaded& loaded, std::string& error) {
  RowIndex rows;
  DbPtr db = open_registry_db(dir, loaded, rows, error);
  if (!db) {
    return nullptr;
  }
  auto* async = new uv_async_t;
  if (int rc = uv_async_init(loop, async, &Impl::on_async); rc != 0) {
    delete async;
    error = std::string("store: uv_async_init: ") + uv_strerror(rc);
    loaded = Loaded{};
    return nullptr;
  }
  async->data = nullptr;
  auto writer = SqliteWriter::start(
      std::move(db), loaded.index, std::move(rows), [async] { uv_async_send(async); }, error);
  if (!writer) {
    uv_close(reinterpret_cast<uv_handle_t*>(async), free_async);
    loaded = Loaded{};
    return nullptr;
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<Impl>(async, std::move(writer))));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::save(std::vector<registry::StoredChange> batch, uint64_t index,
                       std::function<void(std::string error)> done) {
  impl_->save(std::move(batch), index, std::move(done));
}

void SqliteStore::close() { impl_->close(); }

}  // namespace srvd::store
