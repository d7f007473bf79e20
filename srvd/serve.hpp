// serve.hpp -- `srvd serve`: wires registry, DNS and HTTP together and runs until a signal.
#pragma once

#include "srvd/flags.hpp"

namespace srvd {

/// Runs the server; returns the process exit code.
int serve(const ServeConfig& config);

}  // namespace srvd
