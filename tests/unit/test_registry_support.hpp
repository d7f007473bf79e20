// test_registry_support.hpp -- the instance the registry tests register most: service, id,
// address and port, everything else left at its default; and one with every field set.
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

/// Every field set to a value other than its default (a check, a maintenance override, a
/// non-ASCII meta value), as the stored-document tests round-trip it.
inline srvd::registry::Instance full_instance() {
  using namespace srvd::registry;
  Instance i;
  i.service = "payments";
  i.id = "p-1";
  i.address = *parse_address("2001:db8::7");
  i.port = 8443;
  i.protocol = Protocol::udp;
  i.priority = 3;
  i.weight = 70;
  i.tags = {"primary", "eu-west", "a=b"};
  i.meta = {{"version", "1.4.2"}, {"zone", "b"}, {"note", "h\xc3\xa9llo \"quoted\""}};
  i.status = Status::maintenance;
  i.status_reason = "disk swap";
  i.source = Source::file;
  i.ttl_ms = 15000;
  i.deregister_after_ms = 600000;
  i.check = CheckSpec{CheckSpec::Kind::tcp, "[::1]:9000", 2500, 700, 3, 4};
  i.maintenance = true;
  i.health = Status::warning;
  i.ttl_expired = true;
  i.passes = 2;
  i.failures = 9;
  i.check_output = "HTTP 429";
  i.checked_at_ms = 1764300000123;
  i.heartbeat_at_ms = 1764300000999;
  i.status_changed_at_ms = 1764299990000;
  i.unserved_at_ms = 1764299990001;
  i.registered_at_ms = 1764200000000;
  i.updated_at_ms = 1764300000456;
  i.create_index = 17;
  i.modify_index = 42;
  return i;
}
