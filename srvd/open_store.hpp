// open_store.hpp -- picks the store the flags ask for and loads the registry from it.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "registry/registry.hpp"
#include "registry/store.hpp"
#include "srvd/flags.hpp"

namespace srvd {

/// --etcd given: the etcd store, which fills `registry` from etcd and calls `on_leadership`
/// as this replica gains or loses the active checks. Otherwise the SQLite store in
/// --data-dir, whose instances are restored into `registry` (checks start once a runner is
/// set). nullptr and `error` when the store cannot be used (a corrupt or newer database).
std::unique_ptr<registry::Store> open_store(const ServeConfig& config, uv_loop_t* loop,
                                            registry::Registry& registry,
                                            std::function<void(bool leader)> on_leadership,
                                            std::string& error);

}  // namespace srvd
