// etcd_inbox.hpp -- hands results from the etcd threads to the control loop.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace srvd::store {

/// A uv_async_t and a queue: background threads post(), the loop runs what was posted, in
/// order (uv_async_send coalesces wake-ups, never items). Lives on the heap and is freed by
/// libuv's close callback, so it never outlives or predeceases its handle; owned through
/// InboxPtr, whose deleter closes it.
class LoopInbox {
 public:
  /// nullptr if libuv refuses the handle.
  static LoopInbox* create(uv_loop_t* loop);
  LoopInbox(const LoopInbox&) = delete;
  LoopInbox& operator=(const LoopInbox&) = delete;

  /// Any thread. Runs `work` on the loop soon. Ignored after close().
  void post(std::function<void()> work);
  /// Loop thread, once every poster has stopped: drops what is queued, closes the handle;
  /// the memory goes with the next loop iteration.
  void close();

 private:
  LoopInbox() = default;
  ~LoopInbox() = default;
  void drain();

  uv_async_t async_{};
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  bool closed_ = false;
};

struct CloseInbox {
  void operator()(LoopInbox* inbox) const { inbox->close(); }
};
using InboxPtr = std::unique_ptr<LoopInbox, CloseInbox>;

}  // namespace srvd::store
