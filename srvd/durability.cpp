// durability.cpp -- batches of changes to the store, and the writes that wait for them.
#include "srvd/durability.hpp"

#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

namespace srvd {
namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Durability::Durability(uv_loop_t* loop, registry::Registry& registry, registry::Store& store,
                       Publisher& publisher)
    : registry_(registry), store_(store), publisher_(publisher) {
  registry_.track_unsaved(true);
  uv_prepare_init(loop, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, [](uv_prepare_t* h) noexcept {
    static_cast<Durability*>(h->data)->on_prepare();
  });
}

void Durability::when_visible(uint64_t index, std::function<void()> then) {
  publisher_.when_visible(index, std::move(then));
}

void Durability::when_visible_within(uint64_t index, uint64_t timeout_ms,
                                     std::function<void()> then) {
  publisher_.when_visible_within(index, timeout_ms, std::move(then));
}

void Durability::after_write(uint64_t index, std::function<void(std::string error)> then) {
  // Even a write that changed nothing waits for the batch: an identical write by another
  // client may be in it, and this one must not be acknowledged before that one is durable.
  // Batch numbers only grow, so appending keeps waiting_ in batch order. `then` holds the
  // whole response: moved along, never copied.
  waiting_.push_back(Waiter{open_batch_, index, std::move(then)});
}

void Durability::on_prepare() {
  if (saving_ || closed_) {
    return;
  }
  auto batch = registry_.take_unsaved();
  const bool waited_for = !waiting_.empty() && waiting_.back().batch == open_batch_;
  if (batch.empty() && !waited_for) {
    return;
  }
  const uint64_t number = open_batch_++;
  if (batch.empty()) {
    on_saved(number, {});  // nothing to write: the writes that waited changed nothing
    return;
  }
  // DNS gets the batch while the store saves it; what changes meanwhile waits for the next
  // batch (Publisher::hold): it cannot be acknowledged before that one is durable anyway.
  publisher_.publish_now();
  publisher_.hold(true);
  saving_ = true;
  const size_t changes = batch.size();
  const int64_t start = steady_ns();
  store_.save(std::move(batch), registry_.index(), [this, number, changes, start](std::string error) {
    saving_ = false;
    publisher_.hold(false);
    if (closed_) {
      return;  // the publisher may be gone too
    }
    ++batches_;
    changes_ += changes;
    const auto took = static_cast<uint64_t>(steady_ns() - start);
    save_ns_ += took;
    if (error.empty()) {
      registry_.saved();
      on_saved(number, error);
      return;
    }
    // Undo everything the store does not have -- this batch and whatever was built on it
    // since -- and refuse all of those writes: a 503 must mean "changed nothing".
    registry_.roll_back();
    on_saved(open_batch_, error);
  });
}

void Durability::on_saved(uint64_t batch, const std::string& error) {
  // Take the answered ones out first: a reply may start another write and add a waiter.
  // ready_ is borrowed for its capacity; a reply never reaches on_saved again synchronously
  // (the store answers on a later loop turn), but swapping keeps that harmless anyway.
  std::vector<Waiter> ready;
  ready.swap(ready_);
  while (!waiting_.empty() && waiting_.front().batch <= batch) {
    ready.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  for (auto& w : ready) {
    if (!error.empty()) {
      w.then(error);
    } else if (publisher_.visible(w.index)) {
      w.then({});  // the usual case: DNS got the batch while the store saved it
    } else {
      publisher_.when_visible(w.index, [then = std::move(w.then)]() mutable { then({}); });
    }
  }
  ready.clear();
  if (ready_.capacity() < ready.capacity()) {
    ready_.swap(ready);
  }
}

void Durability::append_metrics(std::string& out) const {
  publisher_.append_metrics(out);
  char buf[640];
  std::snprintf(buf, sizeof buf,
                "# HELP srvd_store_batches_total Batches the store has saved or failed.\n"
                "# TYPE srvd_store_batches_total counter\nsrvd_store_batches_total %llu\n"
                "# HELP srvd_store_changes_total Instance changes in those batches.\n"
                "# TYPE srvd_store_changes_total counter\nsrvd_store_changes_total %llu\n"
                "# HELP srvd_store_save_seconds A batch handed to the store until it is durable.\n"
                "# TYPE srvd_store_save_seconds summary\nsrvd_store_save_seconds_sum %.9f\n"
                "srvd_store_save_seconds_count %llu\n",
                static_cast<unsigned long long>(batches_), static_cast<unsigned long long>(changes_),
                static_cast<double>(save_ns_) / 1e9, static_cast<unsigned long long>(batches_));
  out += buf;
}

void Durability::close() {
  closed_ = true;
  waiting_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
}

}  // namespace srvd
