// client_args.hpp -- command lines of the client subcommands: positionals, flags, --http.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "srvd/http_client.hpp"

namespace srvd {

/// A parsed client command line. Every flag takes a value (`--name value` or `--name=value`)
/// and may repeat (`--tag a --tag b`); `--http` is common to all commands.
struct ClientArgs {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> flags;  ///< by name without "--", in given order
  std::string http = "127.0.0.1:8054";            ///< the server, as ADDR:PORT
  bool help = false;

  /// The last value given for `name`, if any.
  std::optional<std::string> last(const std::string& name) const;
  /// Every value given for `name`, in order.
  std::vector<std::string> all(const std::string& name) const;
};

/// Parses `args` accepting the flags in `allowed` (names without "--") besides --http and
/// --help. The default server is $SRVD_HTTP_ADDR when set. On error returns nullopt and
/// sets `error` to a message naming the argument.
std::optional<ClientArgs> parse_client_args(const std::vector<std::string_view>& args,
                                            const std::set<std::string_view>& allowed,
                                            std::string& error);

/// Exit statuses of the client commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  ///< the server refused, or could not be reached
inline constexpr int kExitUsage = 2;

/// Prints why a call failed on stderr, as "srvd: <the server's error message>", and returns
/// kExitFailed. `reply` is nullopt when no answer came; `error` then says why.
int report_failure(const std::optional<HttpReply>& reply, const std::string& error);

}  // namespace srvd
