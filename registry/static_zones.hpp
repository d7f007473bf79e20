// static_zones.hpp -- records from zones/*.zone master files, prerendered for DNS to copy.
//
// Plain data: dns/zone_loader.cpp (which owns ldns and the wire format) builds it, the
// Registry hands it on in every Snapshot, and dns/static_answer.cpp reads it per query.
// Immutable once built; a SIGHUP builds a whole new one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace srvd::registry {

/// One RRset: the RDATA of each record, uncompressed wire form, as in the file.
struct StaticRRset {
  uint16_t type = 0;
  uint32_t ttl = 0;  ///< RFC 2181 §5.2: one TTL per RRset (the smallest seen)
  std::vector<std::vector<uint8_t>> rdata;
};

/// An address record of a name an NS or MX RRset points to, for the additional section.
struct StaticGlue {
  std::vector<uint8_t> name;  ///< lowercase wire form
  uint16_t type = 0;          ///< A or AAAA
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
};

/// An owner name and its RRsets. A name with no RRsets is an empty non-terminal (RFC 8020).
struct StaticName {
  std::vector<uint8_t> name;        ///< lowercase wire form
  std::vector<StaticRRset> rrsets;  ///< sorted by type
  std::vector<StaticGlue> ns_glue;  ///< addresses (from the zone) of this name's NS targets
  bool delegation = false;          ///< NS below the zone apex: a zone cut (RFC 1034 §4.2.1)

  const StaticRRset* find(uint16_t type) const {
    for (const auto& r : rrsets) {
      if (r.type == type) {
        return &r;
      }
    }
    return nullptr;
  }
};

/// One zone: a file's origin and everything at or below it.
struct StaticZone {
  std::vector<uint8_t> origin;  ///< lowercase wire form
  std::string file;             ///< where it came from, for messages
  /// True for records inside the registry's domain: the registry's SOA and NS stay
  /// authoritative, so `soa` is empty and negative answers use the registry's SOA.
  bool registry_extra = false;
  std::vector<uint8_t> soa_rdata;  ///< empty for registry extras
  uint32_t negative_ttl = 0;       ///< min(SOA TTL, SOA MINIMUM), RFC 2308 §5
  std::vector<StaticName> names;   ///< sorted by `name` bytes, each name once

  /// The name with this lowercase wire form, or nullptr. Allocation-free.
  const StaticName* find(std::span<const uint8_t> name) const;
};

/// Every static zone. At most one zone has `registry_extra` set.
struct StaticZones {
  std::vector<StaticZone> zones;

  /// The registry-extra zone, or nullptr.
  const StaticZone* registry_extra() const;
};

}  // namespace srvd::registry
