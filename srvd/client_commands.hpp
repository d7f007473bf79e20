// client_commands.hpp -- the subcommands that are clients of the HTTP API (register, list, ...).
#pragma once

#include <string_view>
#include <vector>

namespace srvd {

/// True for register, deregister, heartbeat, list and watch.
bool is_client_command(std::string_view command);

/// Runs client subcommand `command` with the arguments after it. Prints results on stdout
/// and failures on stderr; returns the exit status: 0, 1 when the server refused (its error
/// message is printed) or could not be reached, 2 for a bad command line.
int run_client_command(std::string_view command, const std::vector<std::string_view>& args);

/// The usage text of the client subcommands, for `srvd help`.
extern const char* const kClientUsage;

}  // namespace srvd
