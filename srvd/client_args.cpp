// client_args.cpp -- command lines of the client subcommands: positionals, flags, --http.
#include "srvd/client_args.hpp"

#include <netinet/in.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>

#include "srvd/flags.hpp"

namespace srvd {

std::optional<std::string> ClientArgs::last(const std::string& name) const {
  auto [first, end] = flags.equal_range(name);
  if (first == end) {
    return std::nullopt;
  }
  return std::prev(end)->second;
}

std::vector<std::string> ClientArgs::all(const std::string& name) const {
  std::vector<std::string> out;
  for (auto [it, end] = flags.equal_range(name); it != end; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::optional<ClientArgs> parse_client_args(const std::vector<std::string_view>& args,
                                            const std::set<std::string_view>& allowed,
                                            std::string& error) {
  ClientArgs out;
  if (const char* env = std::getenv("SRVD_HTTP_ADDR"); env != nullptr && *env != '\0') {
    out.http = env;
  }
  bool flags_done = false;  // after "--", everything is positional
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (flags_done || !a.starts_with("--") || a.size() == 2) {
      if (a == "--" && !flags_done) {
        flags_done = true;
        continue;
      }
      if (a == "-h") {
        out.help = true;
        continue;
      }
      out.positional.emplace_back(a);
      continue;
    }
    std::string_view name = a.substr(2);
    if (name == "help") {
      out.help = true;
      continue;
    }
    std::string_view value;
    if (const size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = "flag --" + std::string(name) + " needs a value";
      return std::nullopt;
    }
    if (name == "http") {
      out.http = std::string(value);
    } else if (allowed.contains(name)) {
      out.flags.emplace(std::string(name), std::string(value));
    } else {
      error = "unknown flag --" + std::string(name);
      return std::nullopt;
    }
  }
  // Canonical form: "localhost:8054" becomes 127.0.0.1, and IPv6 gets its brackets.
  auto addr = parse_host_port(out.http);
  if (!addr) {
    error = "invalid --http '" + out.http + "': expected ADDR:PORT, e.g. 127.0.0.1:8054";
    return std::nullopt;
  }
  const uint16_t port =
      ntohs(addr->ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&*addr)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&*addr)->sin_port);
  out.http = format_host_port(*addr, port);
  return out;
}

int report_failure(const std::optional<HttpReply>& reply, const std::string& error) {
  if (!reply) {
    std::fprintf(stderr, "srvd: %s\n", error.c_str());
    return kExitFailed;
  }
  // The API's errors are {"error": "..."}; anything else (a proxy's page, say) is shown raw.
  std::string message;
  const auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    message = body["error"].get<std::string>();
  } else {
    message = reply->body.substr(0, reply->body.find('\n'));
  }
  std::fprintf(stderr, "srvd: %s (HTTP %ld)\n", message.c_str(), reply->status);
  return kExitFailed;
}

}  // namespace srvd
