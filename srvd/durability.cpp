// durability.cpp -- batches of changes to the store, and the writes that wait for them.
#include "srvd/durability.hpp"

#include <utility>
#include <vector>

namespace srvd {

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
  waiting_.emplace(open_batch_, [this, index, then = std::move(then)](std::string error) {
    if (!error.empty()) {
      then(std::move(error));
      return;
    }
    publisher_.when_visible(index, [then] { then({}); });
  });
}

void Durability::on_prepare() {
  if (saving_ || closed_) {
    return;
  }
  auto batch = registry_.take_unsaved();
  const bool waited_for = waiting_.contains(open_batch_);
  if (batch.empty() && !waited_for) {
    return;
  }
  const uint64_t number = open_batch_++;
  if (batch.empty()) {
    on_saved(number, {});  // nothing to write: the writes that waited changed nothing
    return;
  }
  saving_ = true;
  store_.save(std::move(batch), registry_.index(), [this, number](std::string error) {
    saving_ = false;
    if (closed_) {
      return;
    }
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
  std::vector<std::function<void(std::string)>> ready;
  auto end = waiting_.upper_bound(batch);
  for (auto it = waiting_.begin(); it != end; ++it) {
    ready.push_back(std::move(it->second));
  }
  waiting_.erase(waiting_.begin(), end);
  for (auto& then : ready) {
    then(error);
  }
}

void Durability::close() {
  closed_ = true;
  waiting_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
}

}  // namespace srvd
