// services_file_sync.cpp -- the services file applied again when the store refused it.
#include "srvd/services_file_sync.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

namespace srvd {

ServicesFileSync::ServicesFileSync(uv_loop_t* loop, ServicesFile& file,
                                   registry::Registry& registry, api::Visibility& durability)
    : file_(file), registry_(registry), durability_(durability) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

void ServicesFileSync::apply() {
  if (!file_.configured()) {
    return;
  }
  uv_timer_stop(&timer_);
  const uint64_t attempt = ++attempt_;
  file_.apply(registry_);
  // Waits even when nothing changed: a batch still being saved may hold the entries, and if
  // the store refuses it, this apply hears of it too.
  durability_.after_write(registry_.index(), [this, attempt](const std::string& error) {
    if (closed_ || attempt != attempt_) {
      return;
    }
    if (error.empty()) {
      backoff_ms_ = kPollMs;
      return;
    }
    std::fprintf(stderr,
                 "srvd: services file %s: not kept by the store (%s); applying it again in %llu "
                 "ms, or once the store is available\n",
                 file_.path().c_str(), error.c_str(), static_cast<unsigned long long>(backoff_ms_));
    arm(backoff_ms_);
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  });
}

void ServicesFileSync::arm(uint64_t ms) {
  uv_timer_start(
      &timer_, [](uv_timer_t* t) noexcept { static_cast<ServicesFileSync*>(t->data)->on_timer(); },
      ms, 0);
}

void ServicesFileSync::on_timer() {
  if (!durability_.store_unavailable().empty()) {
    arm(kPollMs);
    return;
  }
  try {  // a libuv callback: nothing may escape (STYLE.md 18)
    apply();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "srvd: services file %s: apply failed: %s\n", file_.path().c_str(),
                 e.what());
  }
}

void ServicesFileSync::reload() noexcept {
  if (!file_.configured()) {
    return;
  }
  try {  // called from a libuv signal callback: nothing may escape (STYLE.md 18)
    if (!file_.read(registry_)) {
      std::fprintf(stderr, "srvd: services file %s not reloaded; the registry keeps what it had\n",
                   file_.path().c_str());
      return;
    }
    apply();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "srvd: services file %s: reload failed: %s\n", file_.path().c_str(),
                 e.what());
  }
}

void ServicesFileSync::close() {
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace srvd
