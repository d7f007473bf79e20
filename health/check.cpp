// check.cpp -- scheduling, timing out and reporting the runs of one check.
#include "health/check.hpp"

#include "health/runner.hpp"
#include "health/target.hpp"
#include "health/verdict.hpp"
#include "registry/duration.hpp"

namespace srvd::health {

Check::Check(Runner& runner, std::string service, std::string id)
    : runner_(&runner), service_(std::move(service)), id_(std::move(id)) {
  timer_.data = this;
}

int Check::init(uv_loop_t* loop) {
  int rc = uv_timer_init(loop, &timer_);
  if (rc != 0) {
    delete this;  // no handle to close
  }
  return rc;
}

void Check::configure(const registry::CheckSpec& spec) {
  drop_connection();  // a new spec may name another target
  running_ = false;
  leave_runner_slot();
  spec_ = spec;
  target_error_.clear();
  auto target = parse_target(spec_, target_error_);
  address_ = target ? std::optional(target->address) : std::nullopt;
  request_ = target && !target->request.empty()
                 ? std::make_shared<const std::string>(std::move(target->request))
                 : nullptr;
  runs_ = 0;
  uv_timer_start(&timer_, on_timer, 0, 0);
}

void Check::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  drop_connection();
  running_ = false;
  leave_runner_slot();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_),
           [](uv_handle_t* h) { delete static_cast<Check*>(h->data); });
}

void Check::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<Check*>(t->data);
  if (self->closing_) {
    return;
  }
  if (!self->running_) {
    self->run();
    return;
  }
  // A status line that came before the deadline is the verdict, as it was when nothing after
  // it was read; only the connection is lost, since the rest of its response never came.
  std::optional<registry::CheckResult> seen;
  if (self->probe_ != nullptr) {
    seen = self->probe_->partial_verdict();
  }
  self->drop_connection();
  self->running_ = false;
  self->report(seen ? std::move(*seen)
                    : failure("timeout after " + registry::format_duration(self->spec_.timeout_ms)));
}

void Check::drop_connection() {
  if (probe_ != nullptr) {
    probe_->abort();
  }
  forget_connection();
}

void Check::forget_connection() {
  probe_ = nullptr;
  if (kept_) {
    kept_ = false;
    runner_->release_kept();
  }
}

void Check::grant() {
  queued_ = false;
  holds_slot_ = true;
  uv_timer_start(&timer_, on_timer, 0, 0);
}

void Check::leave_runner_slot() {
  if (queued_) {
    queued_ = false;
    runner_->unqueue(*this);
  }
  if (holds_slot_) {
    holds_slot_ = false;
    runner_->release();  // may grant() another check: that only starts its timer
  }
}

void Check::run() {
  if (!holds_slot_) {
    if (!runner_->acquire(*this)) {
      queued_ = true;  // grant() starts the run when a slot frees
      return;
    }
    holds_slot_ = true;
  }
  started_at_ = uv_now(timer_.loop);
  ++runs_;
  if (!address_) {
    report(failure("invalid check target: " + target_error_));
    return;
  }
  running_ = true;
  if (probe_ != nullptr && !probe_->run_again(request_)) {
    forget_connection();  // it closed itself
  }
  if (probe_ == nullptr && !connect_fresh()) {
    return;
  }
  uv_timer_start(&timer_, on_timer, spec_.timeout_ms, 0);
}

bool Check::connect_fresh() {
  std::string error;
  probe_ = Probe::start(timer_.loop, *address_, request_, *this, error);
  if (probe_ == nullptr) {
    running_ = false;
    report(failure(std::move(error)));
    return false;
  }
  return true;
}

void Check::probe_done(registry::CheckResult result, bool reusable) {
  running_ = false;
  if (!reusable) {
    forget_connection();
  } else if (!kept_ && !(kept_ = runner_->acquire_kept())) {
    drop_connection();  // over the budget of file descriptors for kept connections
  }
  report(std::move(result));
}

void Check::probe_stale() {
  // The server closed the kept connection meanwhile (its idle timeout, a restart): that says
  // nothing about its health, so the run goes on, once, on a new connection, same deadline.
  forget_connection();
  connect_fresh();
}

void Check::probe_lost() { forget_connection(); }

void Check::report(registry::CheckResult result) {
  leave_runner_slot();
  // Schedule first: the sink may stop or restart this check, and that must win.
  uint64_t due = Runner::on_grain(
      started_at_ + runner_->next_delay(spec_.interval_ms, runs_ == 1), spec_.interval_ms);
  uint64_t now = uv_now(timer_.loop);
  uv_timer_start(&timer_, on_timer, due > now ? due - now : 0, 0);
  runner_->deliver(service_, id_, std::move(result));
}

}  // namespace srvd::health
