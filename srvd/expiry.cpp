// expiry.cpp -- the control loop's tick that expires missed heartbeats and long-critical instances.
#include "srvd/expiry.hpp"

#include <chrono>

namespace srvd {

Expiry::Expiry(uv_loop_t* loop, registry::Registry& registry, uint64_t tick_ms)
    : registry_(registry) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  uv_timer_start(
      &timer_,
      [](uv_timer_t* t) noexcept {
        auto* self = static_cast<Expiry*>(t->data);
        // Wall clock, as the API stamps heartbeats with it (api/http_server.cpp).
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        self->registry_.expire(static_cast<int64_t>(now));
      },
      tick_ms, tick_ms);
}

void Expiry::close() { uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr); }

}  // namespace srvd
