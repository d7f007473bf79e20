// render.hpp -- turns registry state into the prerendered wire data of a Snapshot.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.hpp"
#include "registry/snapshot.hpp"

namespace srvd::registry {

/// "svc.internal" -> lowercase wire form "\3svc\10internal\0"; nullopt unless every label is
/// 1-63 letters, digits, hyphens or underscores and the name leaves room for the longest names
/// srvd builds under it (`<id>._<service>._tcp.<domain>` within 255 bytes, RFC 1035 §2.3.4).
std::optional<std::vector<uint8_t>> domain_to_wire(std::string_view domain);

/// The served view of one service; `service` must hold at least one instance. Instances that
/// `previous` (the service in the last snapshot, or nullptr) already renders as they are now
/// are taken from it, their bytes shared; only new or changed ones are rendered. With
/// `changed` (the ids changed since `previous`, sorted and distinct; nullptr: any may have)
/// only those are looked up in `service`; the rest of `previous` is copied, the map unwalked.
std::shared_ptr<const ServiceRecords> render_service(
    const std::string& name, const Registry::Service& service,
    const std::vector<uint8_t>& domain_wire, const ServiceRecords* previous = nullptr,
    const std::vector<std::string>* changed = nullptr);

/// The apex records for a snapshot at change index `index`.
Apex render_apex(const ZoneConfig& zone, const std::vector<uint8_t>& domain_wire, uint64_t index);

}  // namespace srvd::registry
