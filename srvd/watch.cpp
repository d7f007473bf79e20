// watch.cpp -- `srvd watch [SERVICE]`: long-polls the API and prints each instance change.
#include "srvd/watch.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "srvd/instance_view.hpp"

namespace srvd {
namespace {

using nlohmann::json;

/// The server holds a long-poll at most this long (it caps `wait` at 10m); the client's
/// own timeout leaves room for the answer to arrive.
constexpr const char* kWait = "5m";
constexpr long kWaitMs = 5 * 60 * 1000;
constexpr long kMarginMs = 30 * 1000;
constexpr long kMaxBackoffS = 30;

/// The fields a registration sets; a change in any of them is an "updated" line.
constexpr const char* kRegistrationFields[] = {
    "address", "port", "protocol", "priority", "weight",           "tags",
    "meta",    "ttl",  "check",    "source",   "deregister_after",
};

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

void print_lines(const std::vector<std::string>& lines) {
  if (lines.empty()) {
    return;
  }
  const std::string when = now_utc();
  for (const auto& l : lines) {
    std::printf("%s %s\n", when.c_str(), l.c_str());
  }
  std::fflush(stdout);  // a watcher's output is read as it comes, often through a pipe
}

/// The services of one GET: the whole list, or the one service asked for.
json services_of(const json& body, bool one_service) {
  if (!body.is_object()) {
    return json::array();
  }
  return one_service ? json::array({body}) : body.value("services", json::array());
}

}  // namespace

WatchedState watched_state(const json& services) {
  WatchedState out;
  for (const auto& service : services) {
    for (const auto& inst : service.value("instances", json::array())) {
      WatchedInstance w;
      w.address = address_port(inst);
      w.status = status_text(inst);
      w.bare_status = inst.value("status", "");
      w.registration = json::object();
      for (const char* f : kRegistrationFields) {
        if (inst.contains(f)) {
          w.registration[f] = inst[f];
        }
      }
      out[inst.value("service", "") + "/" + inst.value("id", "")] = std::move(w);
    }
  }
  return out;
}

std::vector<std::string> watched_changes(const WatchedState& before, const WatchedState& after) {
  std::vector<std::string> lines;
  for (const auto& [key, was] : before) {
    if (!after.contains(key)) {
      lines.push_back(key + " removed");
    }
  }
  for (const auto& [key, now] : after) {
    const auto it = before.find(key);
    if (it == before.end()) {
      lines.push_back(key + " added " + now.address + " " + now.status);
      continue;
    }
    const WatchedInstance& was = it->second;
    if (was.registration != now.registration) {
      std::string fields;
      for (const char* f : kRegistrationFields) {
        if (was.registration.value(f, json()) != now.registration.value(f, json())) {
          fields += (fields.empty() ? "" : ", ") + std::string(f);
        }
      }
      lines.push_back(key + " updated " + fields + " (" + now.address + ")");
    }
    if (was.bare_status != now.bare_status) {
      lines.push_back(key + " status " + was.bare_status + " -> " + now.status);
    }
  }
  return lines;
}

int run_watch(const ClientArgs& args) {
  const bool one_service = !args.positional.empty();
  const std::string base =
      one_service ? "/v1/services/" + url_segment(args.positional[0]) : "/v1/services";
  HttpClient client(args.http);
  WatchedState state;
  bool first = true;
  uint64_t index = 0;
  long backoff_s = 0;
  std::string last_error;
  while (true) {
    const std::string path =
        first ? base : base + "?index=" + std::to_string(index) + "&wait=" + kWait;
    std::string error;
    const auto reply =
        client.call("GET", path, std::nullopt, first ? 15000L : kWaitMs + kMarginMs, error);
    // A service with no instances is a 404; it may appear later, so it is watched as empty.
    const bool ok = reply && (reply->status == 200 || (reply->status == 404 && one_service));
    if (reply && !ok && reply->status >= 400 && reply->status < 500) {
      return report_failure(reply, error);  // a bad name or request does not fix itself
    }
    if (!ok) {
      backoff_s = std::min(kMaxBackoffS, backoff_s == 0 ? 1 : backoff_s * 2);
      if (!reply) {
        error += "; retrying in " + std::to_string(backoff_s) + " s";
      } else {
        error = "HTTP " + std::to_string(reply->status) + "; retrying in " +
                std::to_string(backoff_s) + " s";
      }
      if (error != last_error) {  // a long outage is one line, not one per attempt
        std::fprintf(stderr, "srvd: watch: %s\n", error.c_str());
        last_error = error;
      }
      std::this_thread::sleep_for(std::chrono::seconds(backoff_s));
      continue;
    }
    if (!last_error.empty()) {
      std::fprintf(stderr, "srvd: watch: connected again\n");
      last_error.clear();
    }
    backoff_s = 0;
    const auto body = json::parse(reply->body, nullptr, false);
    WatchedState now =
        reply->status == 404 ? WatchedState{} : watched_state(services_of(body, one_service));
    uint64_t new_index = reply->index;
    if (new_index == 0 && body.is_object() && body.value("index", json()).is_number_unsigned()) {
      new_index = body["index"].get<uint64_t>();
    }
    const bool long_polled = !first;
    if (first) {
      std::vector<std::string> lines;
      for (const auto& [key, inst] : now) {
        lines.push_back(key + " present " + inst.address + " " + inst.status);
      }
      print_lines(lines);
      first = false;
    } else {
      print_lines(watched_changes(state, now));
    }
    state = std::move(now);
    // No progress: the wait ran out, or the server does not long-poll. Pause so that the
    // latter is a one-second poll rather than a busy loop. A smaller index means a new
    // server (restarted, or another replica): it is simply followed from there.
    if (long_polled && new_index == index) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    index = new_index;
  }
}

}  // namespace srvd
