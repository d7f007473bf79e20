// snapshot.hpp -- the immutable, prerendered view of the registry that DNS answers from.
//
// The control loop publishes a new Snapshot after each batch of changes; DNS loops read
// one without locks. Everything a query needs is precomputed here, so answering is a
// lookup and a memcpy. Unchanged services are shared (shared_ptr) between snapshots, and
// the service table is split into shards so a change copies one shard, not the table.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "registry/static_zones.hpp"

namespace srvd::registry {

/// One instance that DNS serves (its status is healthy or warning). A publish renders only the
/// instances that changed: an unchanged one is copied from the previous snapshot. It owns
/// nothing (its bytes live in its service's `blocks`), so copying or freeing a list of them is
/// a memcpy or nothing, not a reference count per instance.
struct ServedInstance {
  std::string_view id;  ///< lowercase label, inside srv_rdata
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};  ///< network order; first 4 bytes for IPv4
  bool udp = false;                   ///< protocol "udp": under _<service>._udp, else _tcp
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  /// SRV RDATA ready to copy: priority, weight, port (network order), then the target
  /// `<id>.<service>.<domain>.` as uncompressed lowercase wire (RFC 2782).
  std::span<const uint8_t> srv_rdata;
  /// TXT RDATA ready to copy: the instance's meta as "key=value" character-strings,
  /// sorted by key; a single empty string when it has no meta (RFC 1035 §3.3.14). It follows
  /// srv_rdata directly, in the same block.
  std::span<const uint8_t> txt_rdata;
};

/// Bytes that ServedInstances point into: the instances rendered by one publish of a service.
struct RenderedBlock {
  std::shared_ptr<const uint8_t[]> bytes;
  size_t size = 0;
};

/// The whole answer to `_<service>._tcp|_udp SRV`, prerendered (render.cpp) so that a query
/// copies it in two memcpys per section instead of writing records one by one. Built only
/// when every served instance uses that protocol (the common case); otherwise empty and the
/// encoder writes records itself. Records are in `instances` order: the SRV records with the
/// owner 0xC00C (the question's name) and uncompressed targets, then one address record per
/// instance (glue). Two fields are left for the encoder: every TTL (the Apex's) and each glue
/// owner, a pointer to its SRV target, whose offset depends on the question and the rotation.
struct SrvAnswer {
  std::vector<uint8_t> srv;        ///< the SRV records, back to back
  std::vector<uint8_t> glue;       ///< the address records, back to back
  std::vector<uint32_t> srv_at;    ///< start of record i in `srv`; one more entry: the end
  std::vector<uint32_t> glue_at;   ///< likewise in `glue`

  size_t count() const { return srv_at.empty() ? 0 : srv_at.size() - 1; }
};

/// A registered service: present while it has at least one instance, served or not.
struct ServiceRecords {
  std::string name;                        ///< lowercase label
  std::vector<ServedInstance> instances;   ///< served instances only, sorted by id
  std::vector<std::array<uint8_t, 4>> a;   ///< distinct IPv4 addresses of `instances`, sorted
  std::vector<std::array<uint8_t, 16>> aaaa;  ///< distinct IPv6 addresses, sorted
  std::array<SrvAnswer, 2> srv_answer;     ///< [0] under _tcp, [1] under _udp (see SrvAnswer)
  /// Own the bytes of `instances` (id, srv_rdata, txt_rdata): one block per publish that
  /// rendered some, shared with the snapshots before and after. Some bytes may be dead (their
  /// instance changed); render.cpp copies the live ones into one block when there are too
  /// many blocks or dead bytes, so both stay bounded.
  std::vector<RenderedBlock> blocks;
  size_t block_bytes = 0;  ///< the sum of the blocks' sizes
  size_t live_bytes = 0;   ///< the bytes `instances` use: SRV plus TXT RDATA of each

  /// The served instance with this lowercase id, or nullptr.
  const ServedInstance* find(std::string_view id) const;
};

/// The zone apex: names and records that do not come from registrations.
struct Apex {
  std::vector<uint8_t> domain_wire;  ///< lowercase wire form, e.g. "\3svc\10internal\0"
  uint32_t ttl = 5;                  ///< TTL of every positive answer (--ttl)
  uint32_t negative_ttl = 5;         ///< SOA minimum and TTL of the SOA in negative answers
  std::vector<uint8_t> soa_rdata;    ///< MNAME ns.<domain>, RNAME, serial = change index, ...
  std::vector<uint8_t> ns_rdata;     ///< the single NS target: ns.<domain> (uncompressed)
  /// Addresses of ns.<domain>: the DNS listen address when it is a specific one.
  std::vector<std::array<uint8_t, 4>> ns_a;
  std::vector<std::array<uint8_t, 16>> ns_aaaa;
};

class Snapshot {
 public:
  static constexpr size_t kShards = 64;
  using Shard = std::vector<std::shared_ptr<const ServiceRecords>>;  ///< sorted by name
  using Table = std::array<std::shared_ptr<const Shard>, kShards>;

  Snapshot(uint64_t index, Apex apex, Table table,
           std::shared_ptr<const StaticZones> static_zones = nullptr)
      : index_(index),
        apex_(std::move(apex)),
        table_(std::move(table)),
        static_zones_(std::move(static_zones)) {}

  /// The registry's change index this snapshot reflects (also the SOA serial).
  uint64_t index() const { return index_; }
  const Apex& apex() const { return apex_; }
  /// The service with this lowercase label, or nullptr. Allocation-free.
  const ServiceRecords* find(std::string_view service) const;
  const Table& table() const { return table_; }
  /// Records from zones/*.zone, or nullptr when there are none.
  const StaticZones* static_zones() const { return static_zones_.get(); }

  static size_t shard_of(std::string_view service);

 private:
  uint64_t index_;
  Apex apex_;
  Table table_;
  std::shared_ptr<const StaticZones> static_zones_;  // shared between snapshots
};

}  // namespace srvd::registry
