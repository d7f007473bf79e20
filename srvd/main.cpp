// main.cpp -- the srvd command: `srvd serve` (the default) runs the server; the others are clients.
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "srvd/client_commands.hpp"
#include "srvd/flags.hpp"
#include "srvd/serve.hpp"

namespace {

constexpr const char* kUsage =
    "usage: srvd [serve] [flags]\n"
    "       srvd register|deregister|heartbeat|list|watch ... (run `srvd help` for details)\n"
    "       srvd help\n"
    "Run `srvd serve --help` for the server's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string_view command = "serve";
  if (!args.empty() && !args.front().starts_with("-")) {
    command = args.front();
    args.erase(args.begin());
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    std::fputs(srvd::kClientUsage, stdout);
    return 0;
  }
  if (srvd::is_client_command(command)) {
    return srvd::run_client_command(command, args);
  }
  if (command != "serve") {
    std::fprintf(stderr, "srvd: unknown command '%.*s'\n%s", static_cast<int>(command.size()),
                 command.data(), kUsage);
    return 2;
  }
  for (auto a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(srvd::kServeUsage, stdout);
      return 0;
    }
  }
  std::string error;
  auto config = srvd::parse_serve_flags(args, error);
  if (!config) {
    std::fprintf(stderr, "srvd: %s\n%s", error.c_str(), srvd::kServeUsage);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server
  return srvd::serve(*config);
}
