// routes.cpp -- the route table: matches a request, turns it into a registry command or read.
#include "api/routes.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <vector>

#include "api/instance_json.hpp"
#include "api/plain_instance_json.hpp"
#include "registry/duration.hpp"
#include "registry/json_text.hpp"

namespace srvd::api {
namespace {

using nlohmann::json;
/// Responses keep keys in the order the contract shows them, which reads better in curl.
using ojson = nlohmann::ordered_json;
using registry::Applied;
using registry::append_json_string;
using registry::Rejection;

/// Invalid UTF-8 can reach a message through the URL; replace it rather than throw.
std::string to_body(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n";
}

Response json_response(int status, const ojson& j, uint64_t index) {
  return Response{.status = status, .body = to_body(j), .index = index, .allow = {}};
}

/// A path's segments. No route has more than kMax, so a longer path is cut off at kMax + 1
/// segments (it matches nothing anyway): a fixed array, not a vector allocated per request.
struct Segments {
  static constexpr size_t kMax = 6;
  std::array<std::string_view, kMax + 1> items;
  size_t count = 0;
  size_t size() const { return count; }
  std::string_view operator[](size_t i) const { return items[i]; }
  auto begin() const { return items.begin(); }
  auto end() const { return items.begin() + static_cast<std::ptrdiff_t>(count); }
};

Segments split_path(std::string_view path) {
  Segments out;
  if (path.empty() || path.front() != '/') {
    return out;
  }
  path.remove_prefix(1);
  while (out.count <= Segments::kMax) {
    const size_t slash = path.find('/');
    out.items[out.count++] = path.substr(0, slash);
    if (slash == std::string_view::npos) {
      return out;
    }
    path.remove_prefix(slash + 1);
  }
  return out;  // more than kMax segments: kMax + 1 of them, which no route has
}

/// The resources of the contract; each has one set of allowed methods.
enum class Resource {
  none,
  healthz,
  metrics,
  services,
  service,
  instance,
  instance_status,
  instance_heartbeat
};

struct Target {
  Resource resource = Resource::none;
  std::string_view service;
  std::string_view id;
};

Target match(std::string_view path) {
  const auto s = split_path(path);
  for (auto seg : s) {
    if (seg.empty()) {
      return {};  // "//" or a trailing slash names nothing
    }
  }
  if (s.size() == 1 && s[0] == "healthz") {
    return {Resource::healthz, {}, {}};
  }
  if (s.size() == 1 && s[0] == "metrics") {
    return {Resource::metrics, {}, {}};
  }
  if (s.size() < 2 || s[0] != "v1" || s[1] != "services") {
    return {};
  }
  if (s.size() == 2) {
    return {Resource::services, {}, {}};
  }
  if (s.size() == 3) {
    return {Resource::service, s[2], {}};
  }
  if (s[3] != "instances") {
    return {};
  }
  if (s.size() == 5) {
    return {Resource::instance, s[2], s[4]};
  }
  if (s.size() == 6 && s[5] == "status") {
    return {Resource::instance_status, s[2], s[4]};
  }
  if (s.size() == 6 && s[5] == "heartbeat") {
    return {Resource::instance_heartbeat, s[2], s[4]};
  }
  return {};
}

std::string_view allowed_methods(Resource r) {
  switch (r) {
    case Resource::healthz:
    case Resource::metrics:
    case Resource::services:
    case Resource::service:
      return "GET, HEAD";
    case Resource::instance:
      return "PUT, DELETE";
    case Resource::instance_status:
    case Resource::instance_heartbeat:
      return "PUT";
    case Resource::none:
      break;
  }
  return "";
}

bool method_allowed(std::string_view allow, std::string_view method) {
  // Each method appears once, followed by ", " or the end of the list.
  size_t pos = 0;
  while ((pos = allow.find(method, pos)) != std::string_view::npos) {
    const size_t end = pos + method.size();
    if ((pos == 0 || allow[pos - 1] == ' ') && (end == allow.size() || allow[end] == ',')) {
      return true;
    }
    pos = end;
  }
  return false;
}

/// `?index=N&wait=D` of a long-poll (issue 4 §5), or nullopt for a plain read.
struct LongPoll {
  uint64_t index = 0;
  uint64_t wait_ms = 0;
};
constexpr uint64_t kDefaultWaitMs = 5 * 60 * 1000;
constexpr uint64_t kMaxWaitMs = 10 * 60 * 1000;

std::variant<std::optional<LongPoll>, std::string> long_poll(std::string_view query) {
  std::optional<uint64_t> index;
  std::optional<uint64_t> wait;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (key == "index") {
      uint64_t n = 0;
      bool ok = !value.empty() && value.size() <= 19;
      for (char c : value) {
        ok = ok && c >= '0' && c <= '9';
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (!ok) {
        return std::string("query parameter \"index\" must be a non-negative integer");
      }
      index = n;
    } else if (key == "wait") {
      wait = registry::parse_duration(value);
      if (!wait) {
        return std::string("query parameter \"wait\" must be a duration such as \"30s\"");
      }
    }
  }
  if (!index) {
    return std::optional<LongPoll>{};
  }
  return std::optional<LongPoll>{LongPoll{*index, std::min(wait.value_or(kDefaultWaitMs), kMaxWaitMs)}};
}

/// Reads `?healthy=`; unknown parameters are ignored so newer clients still work.
std::variant<bool, std::string> healthy_only(std::string_view query) {
  bool healthy = false;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != "healthy") {
      continue;
    }
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (value == "true" || value == "1" || value.empty()) {
      healthy = true;
    } else if (value == "false" || value == "0") {
      healthy = false;
    } else {
      return std::string("query parameter \"healthy\" must be true or false");
    }
  }
  return healthy;
}

/// The instances of `service` (served ones only with `healthy`) as a JSON array, appended.
void append_instances(std::string& out, const registry::Registry::Service& service,
                      bool healthy) {
  out += '[';
  bool first = true;
  for (const auto& [id, inst] : service) {
    if (!healthy || registry::is_served(inst.status)) {
      if (!first) {
        out += ',';
      }
      first = false;
      append_instance_json(out, inst);
    }
  }
  out += ']';
}

/// A 200 whose body is already JSON text (made without a JSON tree: reads and writes are hot).
Response text_response(int status, std::string body, uint64_t index) {
  body += '\n';
  return Response{.status = status, .body = std::move(body), .index = index, .allow = {}};
}

/// One Prometheus sample with its HELP and TYPE lines (text format 0.0.4).
void append_sample(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

/// GET /metrics: the registry's size and index, then what the Visibility (publisher, store)
/// counts. O(services).
Outcome get_metrics(const registry::Registry& reg, const Visibility& visibility) {
  uint64_t instances = 0;
  for (const auto& [name, service] : reg.services()) {
    instances += service.size();
  }
  std::string out;
  append_sample(out, "srvd_registry_index", "gauge", "The registry's change index.", reg.index());
  append_sample(out, "srvd_services", "gauge", "Registered services.", reg.services().size());
  append_sample(out, "srvd_instances", "gauge", "Registered instances, served or not.",
                instances);
  visibility.append_metrics(out);
  return {Response{.status = 200,
                   .body = std::move(out),
                   .index = reg.index(),
                   .allow = {},
                   .content_type = "text/plain; version=0.0.4; charset=utf-8"}};
}

Outcome get_services(const registry::Registry& reg) {
  std::string body = "{\"index\":" + std::to_string(reg.index()) + ",\"services\":[";
  bool first = true;
  for (const auto& [name, service] : reg.services()) {  // std::map: sorted by name
    if (!first) {
      body += ',';
    }
    first = false;
    body += "{\"name\":";
    append_json_string(body, name);
    body += ",\"instances\":";
    append_instances(body, service, false);
    body += '}';
  }
  body += "]}";
  return {text_response(200, std::move(body), reg.index())};
}

Outcome get_service(const registry::Registry& reg, std::string_view name, std::string_view query) {
  const auto healthy = healthy_only(query);
  if (const auto* err = std::get_if<std::string>(&healthy)) {
    return {error_response(400, *err, reg.index())};
  }
  const auto* service = reg.find(name);
  if (service == nullptr || service->empty()) {
    return {error_response(404, "service \"" + std::string(name) + "\" not found", reg.index())};
  }
  // find() compares case-insensitively; the canonical name is any instance's (all lowercase).
  const std::string& canonical = service->begin()->second.service;
  std::string body = "{\"index\":" + std::to_string(reg.index()) + ",\"name\":";
  append_json_string(body, canonical);
  body += ",\"instances\":";
  append_instances(body, *service, std::get<bool>(healthy));
  body += '}';
  return {text_response(200, std::move(body), reg.index())};
}

/// A write's result: the response for `Applied` (key `key` holds the instance), or the
/// registry's own message for a Rejection. `drain` adds drain_seconds/drain_until (issue 4 §3:
/// when a deploy script may stop the process it took out).
Outcome write_outcome(const registry::Result<Applied>& result, const registry::Registry& reg,
                      const char* key, int ok_status, bool drain = false,
                      int64_t now_ms = 0) {
  if (const auto* rej = std::get_if<Rejection>(&result)) {
    const int status = rej->kind == Rejection::Kind::not_found ? 404 : 400;
    return {error_response(status, rej->message, reg.index())};
  }
  const auto& applied = std::get<Applied>(result);
  const int status = applied.created ? 201 : ok_status;
  // An unchanged write still waits for its instance's last change to be served: another
  // client's identical PUT may have made it a moment ago.
  const uint64_t visible_at = applied.index != 0 ? applied.index : applied.instance.modify_index;
  std::string body;
  body.reserve(768);
  body += "{\"index\":";
  body += std::to_string(reg.index());
  body += ",\"";
  body += key;
  body += "\":";
  append_instance_json(body, applied.instance);
  if (drain) {
    body += ",\"drain_seconds\":";
    body += std::to_string(applied.drain_seconds);
    body += ",\"drain_until\":";
    append_json_string(body, format_time_ms(now_ms + int64_t{applied.drain_seconds} * 1000));
  }
  body += '}';
  return {text_response(status, std::move(body), reg.index()), visible_at};
}

std::optional<json> parse_json(const std::string& body, std::string& error) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    std::string_view what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: users need the rest.
    if (const size_t close = what.find("] "); what.starts_with("[") && close != what.npos) {
      what.remove_prefix(close + 2);
    }
    error = "invalid JSON: " + std::string(what);
    return std::nullopt;
  }
}

Outcome put_instance(const Request& req, RouteContext& ctx, const Target& t) {
  auto& reg = ctx.registry;
  // Nearly every registration is a plain body, read without a JSON tree; anything else, and
  // every invalid body, goes the full way below, so a 400 says what it always said.
  if (auto plain = plain_instance_from_json(req.body, t.service, t.id)) {
    return write_outcome(reg.upsert(std::move(*plain), ctx.now_ms()), reg, "instance", 200);
  }
  std::string error;
  const auto body = parse_json(req.body, error);
  if (!body) {
    return {error_response(400, error, reg.index())};
  }
  auto inst = instance_from_json(*body, t.service, t.id);
  if (auto* err = std::get_if<std::string>(&inst)) {
    return {error_response(400, *err, reg.index())};
  }
  auto result = reg.upsert(std::move(std::get<registry::Instance>(inst)), ctx.now_ms());
  return write_outcome(result, reg, "instance", 200);
}

Outcome put_status(const Request& req, RouteContext& ctx, const Target& t) {
  auto& reg = ctx.registry;
  std::string error;
  const auto body = parse_json(req.body, error);
  if (!body) {
    return {error_response(400, error, reg.index())};
  }
  auto change = status_from_json(*body);
  if (auto* err = std::get_if<std::string>(&change)) {
    return {error_response(400, *err, reg.index())};
  }
  auto& c = std::get<StatusChange>(change);
  const int64_t now = ctx.now_ms();
  const bool drain = c.status == registry::Status::maintenance;
  auto result = reg.set_status(t.service, t.id, c.status, std::move(c.reason), now);
  return write_outcome(result, reg, "instance", 200, drain, now);
}

Outcome dispatch_matched(const Request& req, RouteContext& ctx, const Target& t) {
  auto& reg = ctx.registry;
  switch (t.resource) {
    case Resource::healthz: {
      // Degraded still answers 200: DNS keeps serving the last known state (issue 5 §9).
      const std::string store = ctx.visibility.store_unavailable();
      ojson body{{"status", store.empty() ? "ok" : "degraded"}, {"index", reg.index()}};
      if (!store.empty()) {
        body["error"] = store;
      }
      return {json_response(200, body, reg.index())};
    }
    case Resource::metrics:
      return get_metrics(reg, ctx.visibility);
    case Resource::services:
      return get_services(reg);
    case Resource::service:
      return get_service(reg, t.service, req.query);
    case Resource::instance:
      if (req.method == "PUT") {
        return put_instance(req, ctx, t);
      }
    {
      const int64_t now = ctx.now_ms();
      return write_outcome(reg.remove(t.service, t.id, now), reg, "deleted", 200, true, now);
    }
    case Resource::instance_status:
      return put_status(req, ctx, t);
    case Resource::instance_heartbeat:
      return write_outcome(reg.heartbeat(t.service, t.id, ctx.now_ms()), reg, "instance", 200);
    case Resource::none:
      break;
  }
  return {error_response(404, "not found", reg.index())};
}

}  // namespace

Response error_response(int status, std::string_view message, uint64_t index) {
  return json_response(status, ojson{{"error", message}}, index);
}

Outcome dispatch(const Request& req, RouteContext& ctx) {
  const uint64_t index = ctx.registry.index();
  try {
    const Target target = match(req.path);
    if (target.resource == Resource::none) {
      return {error_response(404, "no such resource: " + req.path, index)};
    }
    const std::string_view allow = allowed_methods(target.resource);
    if (!method_allowed(allow, req.method)) {
      Response r = error_response(405,
                                  "method " + req.method + " is not allowed on " + req.path +
                                      " (allowed: " + std::string(allow) + ")",
                                  index);
      r.allow = std::string(allow);
      return {std::move(r)};
    }
    return dispatch_matched(req, ctx, target);
  } catch (const json::exception& e) {
    return {error_response(400, std::string("bad request: ") + e.what(), ctx.registry.index())};
  } catch (const std::exception& e) {
    return {error_response(500, std::string("internal error: ") + e.what(), ctx.registry.index())};
  }
}

namespace {

/// Answers a read with the state current now, once DNS serves that state: a watcher that
/// looks the name up after the response finds what the response said.
void reply_visible(const Request& request, RouteContext& ctx, Reply reply) {
  Outcome outcome = dispatch(request, ctx);
  ctx.visibility.when_visible(outcome.response.index,
                              [response = std::move(outcome.response),
                               reply = std::move(reply)]() mutable { reply(std::move(response)); });
}

}  // namespace

void route(const Request& request, RouteContext& ctx, Reply reply) {
  if (request.method == "GET" || request.method == "HEAD") {
    const Target target = match(request.path);
    if (target.resource == Resource::services || target.resource == Resource::service) {
      auto poll = long_poll(request.query);
      if (const auto* err = std::get_if<std::string>(&poll)) {
        reply(error_response(400, *err, ctx.registry.index()));
        return;
      }
      if (const auto& p = std::get<std::optional<LongPoll>>(poll)) {
        // An index from the future (another server, a restart) counts as the current one.
        const uint64_t after = std::min(p->index, ctx.registry.index());
        if (after < ctx.registry.index()) {
          reply_visible(request, ctx, std::move(reply));
          return;
        }
        ctx.visibility.when_visible_within(
            after + 1, p->wait_ms, [request, &ctx, reply = std::move(reply)]() mutable {
              reply_visible(request, ctx, std::move(reply));
            });
        return;
      }
    }
  }
  if (request.method == "PUT" || request.method == "DELETE") {
    // Fail fast while the store cannot take writes, rather than change what DNS serves here
    // and then time out (issue 5 §9).
    if (const std::string why = ctx.visibility.store_unavailable(); !why.empty()) {
      reply(error_response(503, "store unavailable: " + why, ctx.registry.index()));
      return;
    }
  }
  Outcome outcome = dispatch(request, ctx);
  if (outcome.visible_at == 0) {
    reply(std::move(outcome.response));
    return;
  }
  ctx.visibility.after_write(
      outcome.visible_at, [index = outcome.response.index, response = std::move(outcome.response),
                           reply = std::move(reply)](std::string error) mutable {
        if (!error.empty()) {
          reply(error_response(503, "store unavailable: " + error, index));
          return;
        }
        reply(std::move(response));
      });
}

}  // namespace srvd::api
