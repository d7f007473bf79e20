// test_registry_support.hpp -- the instance the registry tests register most: service, id,
// address and port, everything else left at its default.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "registry/instance.hpp"

inline srvd::registry::Instance make(std::string service, std::string id, std::string addr,
                                     uint16_t port) {
  srvd::registry::Instance i;
  i.service = std::move(service);
  i.id = std::move(id);
  i.address = *srvd::registry::parse_address(addr);
  i.port = port;
  return i;
}
