// zone_loader.cpp -- parses master files with ldns and prerenders their RRsets as wire data.
#include "dns/zone_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "dns/ldns_ptr.hpp"
#include "dns/wire.hpp"

namespace srvd::dns {

namespace {

using registry::StaticGlue;
using registry::StaticName;
using registry::StaticRRset;
using registry::StaticZone;
using Wire = std::vector<uint8_t>;

constexpr uint32_t kDefaultTtl = 3600;  // for files without $TTL (RFC 2308 §4)

struct Record {
  Wire owner;
  uint16_t type;
  uint32_t ttl;
  Wire rdata;
};

// A zone being assembled from one file (or, for the registry's domain, several).
struct ZoneBuilder {
  StaticZone zone;
  std::map<Wire, std::map<uint16_t, StaticRRset>> names;
  size_t records = 0;
};

// Lowercase wire form. Length bytes are at most 63, below 'A', so lowering every byte is safe.
Wire lower_wire(const uint8_t* data, size_t size) {
  Wire w(data, data + size);
  for (auto& c : w) {
    c = ascii_lower(c);
  }
  return w;
}

Wire lower_wire(const ldns_rdf* dname) {
  return lower_wire(ldns_rdf_data(dname), ldns_rdf_size(dname));
}

std::string to_text(const Wire& w) {
  std::string s;
  for (size_t i = 0; i < w.size() && w[i] != 0; i += w[i] + 1u) {
    s.append(reinterpret_cast<const char*>(&w[i + 1]), w[i]).push_back('.');
  }
  return s.empty() ? "." : s;
}

// True if `name` is `origin` or below it (label-wise).
bool is_at_or_below(const Wire& name, const Wire& origin) {
  for (size_t i = 0; i < name.size(); i += name[i] + 1u) {
    if (name.size() - i == origin.size()) {
      return std::equal(origin.begin(), origin.end(), name.begin() + static_cast<ptrdiff_t>(i));
    }
    if (name[i] == 0) {
      break;
    }
  }
  return false;
}

std::optional<Wire> rdata_wire(const ldns_rr* rr) {
  BufferPtr buf(ldns_buffer_new(512));
  if (!buf || ldns_rr_rdata2buffer_wire(buf.get(), rr) != LDNS_STATUS_OK) {
    return std::nullopt;
  }
  const uint8_t* p = ldns_buffer_begin(buf.get());
  return Wire(p, p + ldns_buffer_position(buf.get()));
}

std::optional<Record> to_record(const ldns_rr* rr) {
  auto rdata = rdata_wire(rr);
  if (!rdata || ldns_rr_owner(rr) == nullptr) {
    return std::nullopt;
  }
  return Record{lower_wire(ldns_rr_owner(rr)), static_cast<uint16_t>(ldns_rr_get_type(rr)),
                ldns_rr_ttl(rr), std::move(*rdata)};
}

// The names ldns_rr_new_frm_fp_l keeps between lines ($ORIGIN, the previous owner); it
// replaces them as it goes, so they are owned here and freed once at the end.
struct ParseNames {
  ldns_rdf* origin = nullptr;
  ldns_rdf* prev = nullptr;
  ParseNames() = default;
  ParseNames(const ParseNames&) = delete;
  ParseNames& operator=(const ParseNames&) = delete;
  ~ParseNames() {
    ldns_rdf_deep_free(origin);
    ldns_rdf_deep_free(prev);
  }
};

// Parses one file into its records, the SOA first when there is one; sets `error` on
// failure. Record by record with ldns_rr_new_frm_fp_l rather than ldns_zone_new_frm_fp_l:
// the latter (ldns 1.8.3) frees the records read before a bad line shallowly, leaking them,
// and silently drops a second SOA.
std::vector<Record> parse_file(const std::string& file, const Wire& default_origin,
                               std::string& error) {
  FilePtr fp(std::fopen(file.c_str(), "r"));
  if (!fp) {
    error = file + ": cannot open: " + std::strerror(errno);
    return {};
  }
  ParseNames names;
  names.origin =
      ldns_dname_new_frm_data(static_cast<uint16_t>(default_origin.size()), default_origin.data());
  uint32_t ttl = kDefaultTtl;
  int line = 0;
  std::vector<Record> out;
  std::optional<Record> soa;
  auto fail = [&](const std::string& what) {
    error = file + ":" + std::to_string(line) + ": " + what;
    return std::vector<Record>{};
  };
  while (std::feof(fp.get()) == 0) {
    ldns_rr* raw = nullptr;  // initialised: ldns sets it only on success
    ldns_status st = ldns_rr_new_frm_fp_l(&raw, fp.get(), &ttl, &names.origin, &names.prev, &line);
    RrPtr rr(st == LDNS_STATUS_OK ? raw : nullptr);
    if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
        st == LDNS_STATUS_SYNTAX_ORIGIN) {
      continue;  // a blank or comment line, $TTL, $ORIGIN
    }
    if (st == LDNS_STATUS_SYNTAX_INCLUDE) {
      st = LDNS_STATUS_SYNTAX_INCLUDE_ERR_NOTIMPL;  // STYLE §25: $INCLUDE is unsupported
    }
    if (st != LDNS_STATUS_OK || !rr) {
      return fail(ldns_get_errorstr_by_id(st));
    }
    if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN) {
      return fail("only class IN is served");
    }
    auto r = to_record(rr.get());
    if (!r) {
      return fail("the record could not be converted to wire format");
    }
    if (r->type != type::SOA) {
      out.push_back(std::move(*r));
    } else if (soa) {
      return fail("a second SOA record");
    } else {
      soa = std::move(*r);
    }
  }
  if (soa) {
    out.insert(out.begin(), std::move(*soa));
  }
  return out;
}

void add_record(ZoneBuilder& b, Record&& r) {
  StaticRRset& set = b.names[r.owner][r.type];
  set.ttl = set.rdata.empty() ? r.ttl : std::min(set.ttl, r.ttl);  // RFC 2181 §5.2
  set.type = r.type;
  if (std::find(set.rdata.begin(), set.rdata.end(), r.rdata) == set.rdata.end()) {
    set.rdata.push_back(std::move(r.rdata));  // RFC 2181 §5: no duplicate records
    ++b.records;
  }
}

// Adds one file's records to its zone; returns false (and sets `error`) if they do not fit.
bool add_file(const std::string& file, std::vector<Record>&& recs, const Wire& registry_wire,
              std::map<Wire, ZoneBuilder>& zones, std::string& error, std::string& loaded) {
  bool has_soa = !recs.empty() && recs.front().type == type::SOA;
  Wire apex = has_soa ? recs.front().owner : registry_wire;
  bool extra = apex == registry_wire;
  for (const auto& r : recs) {
    if (!is_at_or_below(r.owner, apex)) {
      error = file + ": " + to_text(r.owner) + " is outside the zone " + to_text(apex) +
              (has_soa ? "" : " (a zone of its own needs an SOA record)");
      return false;
    }
  }
  auto [it, fresh] = zones.try_emplace(apex);
  ZoneBuilder& b = it->second;
  if (!fresh && !extra) {
    error = file + ": zone " + to_text(apex) + " is already loaded from " + b.zone.file;
    return false;
  }
  if (fresh) {
    b.zone.origin = apex;
    b.zone.file = file;
    b.zone.registry_extra = extra;
  }
  size_t before = b.records;
  for (auto& r : recs) {
    // The registry's SOA and NS stay authoritative for its apex.
    if (extra && r.owner == apex && (r.type == type::SOA || r.type == type::NS)) {
      continue;
    }
    if (r.type == type::SOA && r.rdata.size() >= 4) {
      // RFC 2308 §5: negative answers live min(SOA TTL, SOA MINIMUM).
      b.zone.soa_rdata = r.rdata;
      b.zone.negative_ttl = std::min(r.ttl, get32(r.rdata.data() + r.rdata.size() - 4));
    }
    add_record(b, std::move(r));
  }
  loaded = file + ": " + (extra ? "records added to " : "zone ") + to_text(apex) + ", " +
           std::to_string(b.records - before) + " records";
  return true;
}

// Empty non-terminals (RFC 8020), zone cuts, and the glue of every NS RRset.
StaticZone finish(ZoneBuilder&& b) {
  std::vector<Wire> owners;
  for (const auto& [name, sets] : b.names) {
    owners.push_back(name);
  }
  for (const auto& name : owners) {
    for (size_t i = name[0] + 1u; i < name.size() && name.size() - i >= b.zone.origin.size();
         i += name[i] + 1u) {
      b.names.try_emplace(Wire(name.begin() + static_cast<ptrdiff_t>(i), name.end()));
    }
  }
  StaticZone z = std::move(b.zone);
  for (const auto& [name, sets] : b.names) {
    StaticName n;
    n.name = name;
    for (const auto& [t, set] : sets) {
      n.rrsets.push_back(set);  // copied: glue of other names still reads b.names
    }
    const StaticRRset* ns = n.find(type::NS);
    n.delegation = ns != nullptr && name != z.origin;
    for (size_t k = 0; ns != nullptr && k < ns->rdata.size(); ++k) {
      Wire target = lower_wire(ns->rdata[k].data(), ns->rdata[k].size());
      auto t = b.names.find(target);
      for (uint16_t at : {type::A, type::AAAA}) {
        if (t == b.names.end() || t->second.count(at) == 0) {
          continue;
        }
        const StaticRRset& addrs = t->second.at(at);
        for (const auto& rd : addrs.rdata) {
          n.ns_glue.push_back(StaticGlue{target, at, addrs.ttl, rd});
        }
      }
    }
    z.names.push_back(std::move(n));
  }
  return z;  // names come out of the map sorted by their bytes, as StaticZone::find needs
}

}  // namespace

ZoneLoadResult load_zone_files(const std::vector<std::string>& files,
                               std::string_view registry_domain) {
  ZoneLoadResult result;
  std::string domain(registry_domain);
  RdfPtr registry_rdf(ldns_dname_new_frm_str(domain.c_str()));
  Wire registry_wire = registry_rdf ? lower_wire(registry_rdf.get()) : Wire{0};
  std::map<Wire, ZoneBuilder> builders;
  for (const auto& file : files) {
    std::string error;
    std::string loaded;
    std::vector<Record> recs = parse_file(file, registry_wire, error);
    if (error.empty() && add_file(file, std::move(recs), registry_wire, builders, error, loaded)) {
      result.loaded.push_back(std::move(loaded));
    } else {
      result.errors.push_back(std::move(error));
    }
  }
  auto zones = std::make_shared<registry::StaticZones>();
  for (auto& [origin, b] : builders) {
    zones->zones.push_back(finish(std::move(b)));
  }
  result.zones = std::move(zones);
  return result;
}

ZoneLoadResult load_zone_dir(const std::string& dir, std::string_view registry_domain) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    ZoneLoadResult r = load_zone_files({}, registry_domain);
    r.dir_missing = true;
    return r;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".zone" && e.is_regular_file(ec)) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ZoneLoadResult r = load_zone_files(files, registry_domain);
  if (ec) {
    r.errors.push_back(dir + ": " + ec.message());
  }
  return r;
}

}  // namespace srvd::dns
