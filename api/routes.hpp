// routes.hpp -- request to response: the route table, over a Registry and a Visibility.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "api/http_message.hpp"
#include "api/http_server.hpp"
#include "registry/registry.hpp"

namespace srvd::api {

/// What the routes work on. Everything is borrowed and must outlive every pending reply.
struct RouteContext {
  registry::Registry& registry;
  Visibility& visibility;
  std::function<int64_t()> now_ms;  ///< Unix time in ms for registration times; tests fix it
};

/// What a request comes to before anything waits: the response, and for a write the index
/// DNS must serve before the response may leave (0: send at once).
struct Outcome {
  Response response;
  uint64_t visible_at = 0;
};

/// Answers `request` synchronously, applying a write to the registry. Never throws: bad input
/// (including any JSON exception) becomes a 4xx, anything unexpected a 500.
Outcome dispatch(const Request& request, RouteContext& ctx);

/// Receives the response exactly once: at once, or later from the Visibility callback.
using Reply = std::function<void(Response)>;

/// dispatch(), then holds a write's response until `ctx.visibility` reports its index visible
/// (read-your-writes). `reply` may run before route() returns. Never throws.
void route(const Request& request, RouteContext& ctx, Reply reply);

/// `{"error": message}` with `status`; used for errors found below the routes too.
Response error_response(int status, std::string_view message, uint64_t index);

}  // namespace srvd::api
