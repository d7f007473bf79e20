// client_commands.cpp -- the subcommands that are clients of the HTTP API (register, list, ...).
#include "srvd/client_commands.hpp"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "srvd/client_args.hpp"
#include "srvd/instance_view.hpp"
#include "srvd/watch.hpp"

namespace srvd {

const char* const kClientUsage =
    "usage: srvd register SERVICE ID --address ADDR --port PORT [flags]\n"
    "         --ttl 10s               heartbeat TTL: renew with `srvd heartbeat` within it\n"
    "         --check-http URL        srvd checks it: 2xx passing, 429 warning, else critical\n"
    "         --check-tcp HOST:PORT   srvd checks it: a connection is passing\n"
    "         --interval 10s --timeout 2s --rise 1 --fall 1   check tuning\n"
    "         --deregister-after 1m   remove it after being critical that long\n"
    "         --protocol tcp|udp --priority N --weight N --tag T... --meta KEY=VALUE...\n"
    "       srvd deregister SERVICE ID\n"
    "       srvd heartbeat SERVICE ID\n"
    "       srvd list [SERVICE]\n"
    "       srvd watch [SERVICE]      print each instance change as it happens\n"
    "  every command takes --http ADDR:PORT (default $SRVD_HTTP_ADDR, else 127.0.0.1:8054)\n"
    "  exit status: 0 done, 1 refused by the server (its message is printed), 2 bad usage\n";

namespace {

using nlohmann::json;

constexpr long kCallTimeoutMs = 15000;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "srvd: %s\nRun `srvd help` for usage.\n", message.c_str());
  return kExitUsage;
}

/// The instance's path in the API.
std::string instance_path(const ClientArgs& a) {
  return "/v1/services/" + url_segment(a.positional[0]) + "/instances/" +
         url_segment(a.positional[1]);
}

/// Integers go as JSON numbers; anything else goes as typed, so the server's validation
/// (one source of truth) explains what is wrong with it.
json number_or_text(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc{} && p == s.data() + s.size()) {
    return v;
  }
  return s;
}

/// The PUT body from the register flags; nullopt (with `error`) for a bad combination.
std::optional<json> registration_body(const ClientArgs& a, std::string& error) {
  json body = json::object();
  for (const char* required : {"address", "port"}) {
    if (!a.last(required)) {
      error = std::string("register needs --") + required;
      return std::nullopt;
    }
  }
  body["address"] = *a.last("address");
  body["port"] = number_or_text(*a.last("port"));
  if (auto p = a.last("protocol")) {
    body["protocol"] = *p;
  }
  for (const char* n : {"priority", "weight"}) {
    if (auto v = a.last(n)) {
      body[n] = number_or_text(*v);
    }
  }
  if (auto tags = a.all("tag"); !tags.empty()) {
    body["tags"] = tags;
  }
  for (const auto& kv : a.all("meta")) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--meta '" + kv + "': expected KEY=VALUE";
      return std::nullopt;
    }
    body["meta"][kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (auto ttl = a.last("ttl")) {
    body["ttl"] = *ttl;
  }
  if (auto after = a.last("deregister-after")) {
    body["deregister_after"] = *after;
  }
  const auto http = a.last("check-http");
  const auto tcp = a.last("check-tcp");
  if (http && tcp) {
    error = "give one of --check-http and --check-tcp, not both";
    return std::nullopt;
  }
  if (!http && !tcp) {
    for (const char* n : {"interval", "timeout", "rise", "fall"}) {
      if (a.last(n)) {
        error = std::string("--") + n + " tunes a check: add --check-http or --check-tcp";
        return std::nullopt;
      }
    }
    return body;
  }
  json check = http ? json{{"http", *http}} : json{{"tcp", *tcp}};
  for (const char* n : {"interval", "timeout"}) {
    if (auto v = a.last(n)) {
      check[n] = *v;
    }
  }
  for (const char* n : {"rise", "fall"}) {
    if (auto v = a.last(n)) {
      check[n] = number_or_text(*v);
    }
  }
  body["check"] = check;
  return body;
}

/// The instance object of a write's answer ({"instance": ...} or {"deleted": ...}).
json answered_instance(const HttpReply& reply, const char* key) {
  const auto body = json::parse(reply.body, nullptr, false);
  if (body.is_object() && body.contains(key) && body[key].is_object()) {
    return body[key];
  }
  return json::object();
}

int cmd_register(const ClientArgs& a) {
  std::string error;
  const auto body = registration_body(a, error);
  if (!body) {
    return usage_error(error);
  }
  HttpClient client(a.http);
  const auto reply = client.call("PUT", instance_path(a), body->dump(), kCallTimeoutMs, error);
  if (!reply || (reply->status != 200 && reply->status != 201)) {
    return report_failure(reply, error);
  }
  const json inst = answered_instance(*reply, "instance");
  std::printf("%s %s/%s at %s: %s\n", reply->status == 201 ? "registered" : "updated",
              inst.value("service", a.positional[0]).c_str(),
              inst.value("id", a.positional[1]).c_str(), address_port(inst).c_str(),
              status_text(inst).c_str());
  return kExitOk;
}

int cmd_deregister(const ClientArgs& a) {
  std::string error;
  HttpClient client(a.http);
  const auto reply = client.call("DELETE", instance_path(a), std::nullopt, kCallTimeoutMs, error);
  if (!reply || reply->status != 200) {
    return report_failure(reply, error);
  }
  const json inst = answered_instance(*reply, "deleted");
  std::printf("deregistered %s/%s", inst.value("service", a.positional[0]).c_str(),
              inst.value("id", a.positional[1]).c_str());
  // Until drain_until a resolver may still hand the instance out (the contract's drain).
  const auto body = json::parse(reply->body, nullptr, false);
  if (body.is_object() && body.value("drain_seconds", json()).is_number() &&
      body["drain_seconds"].get<double>() > 0) {
    std::printf("; resolvers may still return it for %s s, until %s",
                body["drain_seconds"].dump().c_str(), body.value("drain_until", "?").c_str());
  }
  std::printf("\n");
  return kExitOk;
}

int cmd_heartbeat(const ClientArgs& a) {
  std::string error;
  HttpClient client(a.http);
  const auto reply =
      client.call("PUT", instance_path(a) + "/heartbeat", std::nullopt, kCallTimeoutMs, error);
  if (!reply || reply->status != 200) {
    return report_failure(reply, error);
  }
  const json inst = answered_instance(*reply, "instance");
  std::printf("heartbeat %s/%s: %s", inst.value("service", a.positional[0]).c_str(),
              inst.value("id", a.positional[1]).c_str(), status_text(inst).c_str());
  if (inst.contains("ttl") && inst["ttl"].is_string()) {
    std::printf("; next one due within %s", inst["ttl"].get<std::string>().c_str());
  }
  std::printf("\n");
  return kExitOk;
}

int cmd_list(const ClientArgs& a) {
  std::string error;
  HttpClient client(a.http);
  const std::string path =
      a.positional.empty() ? "/v1/services" : "/v1/services/" + url_segment(a.positional[0]);
  const auto reply = client.call("GET", path, std::nullopt, kCallTimeoutMs, error);
  if (!reply || reply->status != 200) {
    return report_failure(reply, error);
  }
  const auto body = json::parse(reply->body, nullptr, false);
  if (!body.is_object()) {
    std::fprintf(stderr, "srvd: %s answered %s with something other than JSON\n",
                 client.base_url().c_str(), path.c_str());
    return kExitFailed;
  }
  // One service ({"name", "instances"}) or all of them ({"services": [...]}): same table.
  const json services =
      a.positional.empty() ? body.value("services", json::array()) : json::array({body});
  std::fputs(instance_table(services).c_str(), stdout);
  return kExitOk;
}

struct Command {
  std::string_view name;
  size_t min_args, max_args;  ///< positional arguments
  std::set<std::string_view> flags;
  int (*run)(const ClientArgs&);
};

const Command kCommands[] = {
    {"register",
     2,
     2,
     {"address", "port", "protocol", "priority", "weight", "tag", "meta", "ttl", "deregister-after",
      "check-http", "check-tcp", "interval", "timeout", "rise", "fall"},
     cmd_register},
    {"deregister", 2, 2, {}, cmd_deregister},
    {"heartbeat", 2, 2, {}, cmd_heartbeat},
    {"list", 0, 1, {}, cmd_list},
    {"watch", 0, 1, {}, run_watch},
};

}  // namespace

bool is_client_command(std::string_view command) {
  for (const auto& c : kCommands) {
    if (c.name == command) {
      return true;
    }
  }
  return false;
}

int run_client_command(std::string_view command, const std::vector<std::string_view>& args) {
  for (const auto& c : kCommands) {
    if (c.name != command) {
      continue;
    }
    std::string error;
    const auto parsed = parse_client_args(args, c.flags, error);
    if (!parsed) {
      return usage_error(std::string(command) + ": " + error);
    }
    if (parsed->help) {
      std::fputs(kClientUsage, stdout);
      return kExitOk;
    }
    const size_t n = parsed->positional.size();
    if (n < c.min_args || n > c.max_args) {
      return usage_error(std::string(command) + ": expected " +
                         (c.min_args == 2 ? "SERVICE ID" : "at most one SERVICE") + ", got " +
                         std::to_string(n) + " argument" + (n == 1 ? "" : "s"));
    }
    try {
      return c.run(*parsed);
    } catch (const std::exception& e) {  // out of memory, or a JSON surprise from the server
      std::fprintf(stderr, "srvd: %s: %s\n", std::string(command).c_str(), e.what());
      return kExitFailed;
    }
  }
  return usage_error("unknown command '" + std::string(command) + "'");
}

}  // namespace srvd
