// render.cpp -- builds SRV/TXT RDATA and address lists once per change, not once per query.
#include "registry/render.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>

#include "registry/record_pool.hpp"

namespace srvd::registry {
namespace {

constexpr size_t kMaxDomainWire = 120;  // leaves 135 bytes for "<id>._<service>._tcp."

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

void put_label(std::vector<uint8_t>& out, std::string_view label) {
  out.push_back(static_cast<uint8_t>(label.size()));
  out.insert(out.end(), label.begin(), label.end());
}

size_t txt_size(const std::map<std::string, std::string>& meta) {
  size_t size = 0;
  for (const auto& [k, v] : meta) {  // validate_details keeps each under 256 bytes
    size += 2 + k.size() + v.size();
  }
  return std::max<size_t>(size, 1);  // a TXT RR holds at least one (here empty) string
}

uint8_t* put_txt(uint8_t* p, const std::map<std::string, std::string>& meta) {
  if (meta.empty()) {
    *p++ = 0;
  }
  for (const auto& [k, v] : meta) {
    *p++ = static_cast<uint8_t>(k.size() + 1 + v.size());
    p = std::copy(k.begin(), k.end(), p);
    *p++ = '=';
    p = std::copy(v.begin(), v.end(), p);
  }
  return p;
}

uint8_t* put16(uint8_t* p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v >> 8);
  *p++ = static_cast<uint8_t>(v);
  return p;
}

uint8_t* put_label(uint8_t* p, std::string_view label) {
  *p++ = static_cast<uint8_t>(label.size());
  return std::copy(label.begin(), label.end(), p);
}

size_t srv_size(const std::string& service, const std::string& id,
                const std::vector<uint8_t>& domain_wire) {
  return 6 + 1 + id.size() + 1 + service.size() + domain_wire.size();
}

// Renders one instance at `p` (room for srv_size + txt_size bytes): SRV RDATA, then TXT RDATA.
ServedInstance render_instance(uint8_t* p, const std::string& service, const std::string& id,
                               const Instance& inst, const std::vector<uint8_t>& domain_wire) {
  const size_t srv = srv_size(service, id, domain_wire);
  ServedInstance s;
  s.srv_rdata = {p, srv};
  s.id = {reinterpret_cast<const char*>(p) + 7, id.size()};
  p = put16(p, inst.priority);
  p = put16(p, inst.weight);
  p = put16(p, inst.port);
  p = put_label(p, id);
  p = put_label(p, service);
  p = std::copy(domain_wire.begin(), domain_wire.end(), p);
  s.txt_rdata = {p, static_cast<size_t>(put_txt(p, inst.meta) - p)};
  s.ipv6 = inst.address.ipv6;
  s.address = inst.address.bytes;
  s.udp = inst.protocol == Protocol::udp;
  s.priority = inst.priority;
  s.weight = inst.weight;
  s.port = inst.port;
  return s;
}

size_t bytes_of(const ServedInstance& s) { return s.srv_rdata.size() + s.txt_rdata.size(); }

// True when `s`, rendered for an earlier snapshot, is what render_instance would make of
// `inst` now (same service and domain): what a publish checks instead of rendering again.
bool renders_as(const ServedInstance& s, const Instance& inst) {
  if (s.priority != inst.priority || s.weight != inst.weight || s.port != inst.port ||
      s.udp != (inst.protocol == Protocol::udp) || s.ipv6 != inst.address.ipv6 ||
      s.address != inst.address.bytes) {
    return false;
  }
  std::span<const uint8_t> t = s.txt_rdata;
  if (inst.meta.empty()) {
    return t.size() == 1 && t[0] == 0;
  }
  size_t at = 0;
  for (const auto& [k, v] : inst.meta) {
    const size_t n = k.size() + 1 + v.size();
    if (t.size() - at < 1 + n || t[at] != n ||
        !std::equal(k.begin(), k.end(), t.begin() + static_cast<ptrdiff_t>(at + 1)) ||
        t[at + 1 + k.size()] != '=' ||
        !std::equal(v.begin(), v.end(), t.begin() + static_cast<ptrdiff_t>(at + 2 + k.size()))) {
      return false;
    }
    at += 1 + n;
  }
  return at == t.size();
}

// Owner, type, class IN, TTL 0 (the encoder writes the Apex's) and RDLENGTH, then RDATA.
uint8_t* put_record(uint8_t* p, uint16_t owner, uint16_t type, std::span<const uint8_t> rdata) {
  p = put16(p, owner);
  p = put16(p, type);
  p = put16(p, 1);
  p = put16(p, 0);
  p = put16(p, 0);
  p = put16(p, static_cast<uint16_t>(rdata.size()));
  return std::copy(rdata.begin(), rdata.end(), p);
}

// Writes `inst` as record i of `out`: its SRV record at `srv`, its glue at `glue`.
void put_answer_records(SrvAnswer& out, size_t i, const ServedInstance& inst, uint8_t*& srv,
                        uint8_t*& glue) {
  out.srv_at[i] = static_cast<uint32_t>(srv - out.srv.data());
  srv = put_record(srv, 0xC00C, 33 /* SRV */, inst.srv_rdata);
  out.glue_at[i] = static_cast<uint32_t>(glue - out.glue.data());
  glue = put_record(glue, 0xC000, inst.ipv6 ? 28 /* AAAA */ : 1 /* A */,
                    {inst.address.data(), inst.ipv6 ? size_t{16} : size_t{4}});
}

// SrvAnswer for one protocol into `out` (empty, maybe with capacity); left empty unless every
// served instance uses it. Sized once and written through pointers: this runs for every change
// of a service, over all its instances.
void render_srv_answer(SrvAnswer& out, const std::vector<ServedInstance>& instances, bool udp) {
  size_t srv_size = 0;
  size_t glue_size = 0;
  for (const auto& inst : instances) {
    if (inst.udp != udp) {
      return;
    }
    srv_size += 12 + inst.srv_rdata.size();
    glue_size += 12 + (inst.ipv6 ? 16 : 4);
  }
  if (instances.empty()) {
    return;
  }
  reserve_recycled(out.srv, srv_size);
  reserve_recycled(out.glue, glue_size);
  reserve_recycled(out.srv_at, instances.size() + 1);
  reserve_recycled(out.glue_at, instances.size() + 1);
  out.srv.resize(srv_size);
  out.glue.resize(glue_size);
  out.srv_at.resize(instances.size() + 1);
  out.glue_at.resize(instances.size() + 1);
  uint8_t* srv = out.srv.data();
  uint8_t* glue = out.glue.data();
  for (size_t i = 0; i < instances.size(); ++i) {
    put_answer_records(out, i, instances[i], srv, glue);
  }
  out.srv_at.back() = static_cast<uint32_t>(srv_size);
  out.glue_at.back() = static_cast<uint32_t>(glue_size);
}

// The distinct addresses of `instances` of one family, sorted (an RRset is a set, RFC 2181
// §5: two instances on one host give one A record). Sorted as big-endian integers, which
// orders them as their bytes do: sorting the byte arrays themselves (memcmp per probe) cost
// more than the rest of a service's render.
template <size_t N>
void distinct_addresses(const std::vector<ServedInstance>& instances,
                        std::vector<std::array<uint8_t, N>>& out) {
  using Key = std::conditional_t<N == 4, uint32_t, unsigned __int128>;
  auto of_family = [](const ServedInstance& s) { return s.ipv6 == (N == 16); };
  std::vector<Key> keys;
  keys.reserve(static_cast<size_t>(std::count_if(instances.begin(), instances.end(), of_family)));
  for (const auto& s : instances) {
    if (of_family(s)) {
      Key k = 0;
      for (size_t i = 0; i < N; ++i) {
        k = k << 8 | s.address[i];
      }
      keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  reserve_recycled(out, keys.size());
  out.resize(keys.size());
  for (size_t j = 0; j < keys.size(); ++j) {
    for (size_t i = 0; i < N; ++i) {
      out[j][i] = static_cast<uint8_t>(keys[j] >> (8 * (N - 1 - i)));
    }
  }
}

// How a publish assembles a service's instance list, in list order: runs of the previous
// list kept as they were, and runs of instances rendered anew ("fresh").
struct Run {
  static constexpr size_t kFresh = SIZE_MAX;
  size_t from;  // index of the run's first instance in the previous list, or kFresh
  size_t count;
};

// Appends records [from, from + count) of one section of an SrvAnswer (`bytes`, offsets `at`)
// to `out`, and their offsets, shifted, to `out_at`.
void copy_records(const std::vector<uint8_t>& bytes, const std::vector<uint32_t>& at, const Run& r,
                  std::vector<uint8_t>& out, uint32_t* out_at) {
  const uint32_t begin = at[r.from];
  const uint32_t end = at[r.from + r.count];
  const uint32_t shift = static_cast<uint32_t>(out.size()) - begin;  // modulo 2^32: may "wrap"
  for (size_t k = 0; k < r.count; ++k) {
    out_at[k] = at[r.from + k] + shift;
  }
  out.insert(out.end(), bytes.begin() + begin, bytes.begin() + end);
}

// The SrvAnswer of `now`, spliced from `before`, that of the previous list (which every
// instance of that list was in): kept runs are copied (two memcpys, shifted offsets), only
// fresh instances are rendered. The same bytes as render_srv_answer(now), for less work.
// Written into `out` (empty, maybe with capacity).
void splice_srv_answer(SrvAnswer& out, const SrvAnswer& before, const std::vector<Run>& runs,
                       const std::vector<ServedInstance>& now) {
  size_t srv_size = 0;
  size_t glue_size = 0;
  size_t i = 0;
  for (const Run& r : runs) {
    if (r.from != Run::kFresh) {
      srv_size += before.srv_at[r.from + r.count] - before.srv_at[r.from];
      glue_size += before.glue_at[r.from + r.count] - before.glue_at[r.from];
    } else {
      for (size_t k = i; k < i + r.count; ++k) {
        srv_size += 12 + now[k].srv_rdata.size();
        glue_size += 12 + (now[k].ipv6 ? 16 : 4);
      }
    }
    i += r.count;
  }
  // Grown run by run within the reserved room (no zero-filling first): kept records are
  // appended straight from `before`, a fresh one is written into room made for it.
  reserve_recycled(out.srv, srv_size);
  reserve_recycled(out.glue, glue_size);
  reserve_recycled(out.srv_at, now.size() + 1);
  reserve_recycled(out.glue_at, now.size() + 1);
  out.srv_at.resize(now.size() + 1);
  out.glue_at.resize(now.size() + 1);
  i = 0;
  for (const Run& r : runs) {
    if (r.from != Run::kFresh) {
      copy_records(before.srv, before.srv_at, r, out.srv, &out.srv_at[i]);
      copy_records(before.glue, before.glue_at, r, out.glue, &out.glue_at[i]);
    } else {
      for (size_t k = i; k < i + r.count; ++k) {
        const size_t s0 = out.srv.size();
        const size_t g0 = out.glue.size();
        out.srv.resize(s0 + 12 + now[k].srv_rdata.size());
        out.glue.resize(g0 + 12 + (now[k].ipv6 ? 16 : 4));
        uint8_t* srv = out.srv.data() + s0;
        uint8_t* glue = out.glue.data() + g0;
        put_answer_records(out, k, now[k], srv, glue);
      }
    }
    i += r.count;
  }
  out.srv_at.back() = static_cast<uint32_t>(srv_size);
  out.glue_at.back() = static_cast<uint32_t>(glue_size);
}

// An address as the big-endian integer it is: compared in one instruction or two, where
// std::array's operator< calls memcmp.
template <size_t N>
auto key_of(const std::array<uint8_t, N>& a) {
  std::conditional_t<N == 4, uint32_t, unsigned __int128> k = 0;
  for (size_t i = 0; i < N; ++i) {
    k = k << 8 | a[i];
  }
  return k;
}

// The distinct sorted addresses of family N after a small change: those of `before` (the
// previous list's), with `added` put in and `removed` taken out unless an instance of `now`
// still has it. The unchanged stretches between two of these are copied whole, into `out`.
template <size_t N>
void merge_addresses(const std::vector<std::array<uint8_t, N>>& before,
                     std::vector<std::array<uint8_t, N>>& added,
                     std::vector<std::array<uint8_t, N>>& removed,
                     const std::vector<ServedInstance>& now,
                     std::vector<std::array<uint8_t, N>>& out) {
  using Address = std::array<uint8_t, N>;
  auto less = [](const Address& x, const Address& y) { return key_of(x) < key_of(y); };
  auto same = [](const Address& x, const Address& y) { return key_of(x) == key_of(y); };
  std::sort(added.begin(), added.end(), less);
  added.erase(std::unique(added.begin(), added.end(), same), added.end());
  std::sort(removed.begin(), removed.end(), less);
  removed.erase(std::unique(removed.begin(), removed.end(), same), removed.end());
  for (size_t i = 0; i < now.size() && !removed.empty(); ++i) {
    if (now[i].ipv6 == (N == 16)) {
      Address a;
      std::copy_n(now[i].address.begin(), N, a.begin());
      auto it = std::lower_bound(removed.begin(), removed.end(), a, less);
      if (it != removed.end() && same(*it, a)) {
        removed.erase(it);  // still served by another instance (or the changed one)
      }
    }
  }
  // No address is in both `added` and `removed` now: each is an insertion or a removal.
  reserve_recycled(out, before.size() + added.size());
  auto from = before.begin();
  size_t add = 0;
  size_t rm = 0;
  while (add < added.size() || rm < removed.size()) {
    const bool adding =
        rm == removed.size() || (add < added.size() && less(added[add], removed[rm]));
    const Address& x = adding ? added[add++] : removed[rm++];
    auto at = std::lower_bound(from, before.end(), x, less);
    out.insert(out.end(), from, at);
    from = at != before.end() && same(*at, x) ? at + 1 : at;
    if (adding) {
      out.push_back(x);
    }
  }
  out.insert(out.end(), from, before.end());
}

// Past this many blocks, or dead bytes beyond the live ones, a service's live bytes are copied
// into one block (compact): memory and the blocks copied per publish stay bounded, and the
// copying, linear in the service, happens once every few publishes of it.
constexpr size_t kMaxBlocks = 8;
// Up to this many instances rendered or dropped, a publish merges the address lists; past it
// (a restore, a first publish) sorting them again is as cheap.
constexpr size_t kMergeAtMost = 16;

void compact(ServiceRecords& rec) {
  const std::vector<RenderedBlock> from = std::move(rec.blocks);  // alive while copied from
  rec.blocks.clear();
  rec.block_bytes = 0;
  if (rec.live_bytes == 0) {
    return;
  }
  auto bytes = std::make_shared_for_overwrite<uint8_t[]>(rec.live_bytes);
  uint8_t* p = bytes.get();
  for (ServedInstance& s : rec.instances) {
    const size_t srv = s.srv_rdata.size();
    const size_t txt = s.txt_rdata.size();
    std::memcpy(p, s.srv_rdata.data(), srv + txt);  // TXT follows SRV RDATA in every block
    s.srv_rdata = {p, srv};
    s.txt_rdata = {p + srv, txt};
    s.id = {reinterpret_cast<const char*>(p) + 7, s.id.size()};
    p += srv + txt;
  }
  rec.blocks.push_back({std::move(bytes), rec.live_bytes});
  rec.block_bytes = rec.live_bytes;
}

// An instance rendered anew by a publish.
struct Fresh {
  size_t at;  // in the new record's instances
  const std::string* id;
  const Instance* inst;
  size_t bytes;  // SRV plus TXT RDATA
};

// What an Assembly works with besides its record, kept from one render to the next for the
// vectors' capacity: a publish assembles a service per change, and each of these, allocated
// anew, cost a malloc and a free or two (growing runs took three). One per thread, and an
// Assembly never runs inside another.
struct Scratch {
  std::vector<Run> runs;
  std::vector<Fresh> fresh;
  std::vector<size_t> dropped;  // indices in the old list
  template <size_t N>
  struct Delta {
    std::vector<std::array<uint8_t, N>> added, removed;  // addresses of fresh, dropped
  };
  Delta<4> v4;
  Delta<16> v6;

  static Scratch& mine() {
    thread_local Scratch s;
    return s;
  }
  template <size_t N>
  Delta<N>& delta() {
    if constexpr (N == 4) {
      return v4;
    } else {
      return v6;
    }
  }
};

// Assembles a service's ServiceRecords in id order from the previous one's instances (kept or
// dropped, each exactly once) and instances rendered anew, then derives the rest from how
// it was assembled.
class Assembly {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  Assembly(const std::string& name, const std::vector<uint8_t>& domain_wire,
           const ServiceRecords* previous, size_t size_hint)
      : name_(name),
        domain_wire_(domain_wire),
        previous_(previous),
        rec_(RecordPool::shared().take()),
        scratch_(Scratch::mine()),
        runs_(scratch_.runs),
        fresh_(scratch_.fresh),
        dropped_(scratch_.dropped) {
    runs_.clear();
    fresh_.clear();
    dropped_.clear();
    rec_->name = name;
    reserve_recycled(rec_->instances, size_hint);
    if (previous != nullptr) {
      old_ = previous->instances;
    }
  }

  std::span<const ServedInstance> old() const { return old_; }

  // Keeps old[begin, end) as they are.
  void keep(size_t begin, size_t end) {
    if (begin == end) {
      return;
    }
    rec_->instances.insert(rec_->instances.end(), old_.begin() + static_cast<ptrdiff_t>(begin),
                           old_.begin() + static_cast<ptrdiff_t>(end));
    if (!runs_.empty() && runs_.back().from != Run::kFresh &&
        runs_.back().from + runs_.back().count == begin) {
      runs_.back().count += end - begin;
    } else {
      runs_.push_back({begin, end - begin});
    }
  }

  // Old[o] is no longer served as it was.
  void drop(size_t o) {
    dropped_.push_back(o);
    dropped_bytes_ += bytes_of(old_[o]);
  }

  // `id` is served as `inst` now (nullptr: not served); `before` is its index in the old
  // list (kNone: it had none): kept when it still renders as it is, else rendered anew.
  void serve(size_t before, const std::string& id, const Instance* inst) {
    if (before != kNone && inst != nullptr && renders_as(old_[before], *inst)) {
      keep(before, before + 1);
      return;
    }
    if (before != kNone) {
      drop(before);
    }
    if (inst != nullptr) {
      const size_t srv = srv_size(name_, id, domain_wire_);
      const size_t bytes = srv + txt_size(inst->meta);
      fresh_.push_back({rec_->instances.size(), &id, inst, bytes});
      fresh_bytes_ += bytes;
      rec_->instances.emplace_back();  // rendered in finish(), into one block
      if (!runs_.empty() && runs_.back().from == Run::kFresh) {
        ++runs_.back().count;
      } else {
        runs_.push_back({Run::kFresh, 1});
      }
    }
  }

  std::shared_ptr<const ServiceRecords> finish() {
    ServiceRecords& rec = *rec_;
    // Bytes: the previous blocks while any instance still points into them, plus one new
    // block for the fresh ones.
    if (std::any_of(runs_.begin(), runs_.end(),
                    [](const Run& r) { return r.from != Run::kFresh; })) {
      rec.blocks = previous_->blocks;
      rec.block_bytes = previous_->block_bytes;
    }
    if (!fresh_.empty()) {
      auto bytes = std::make_shared_for_overwrite<uint8_t[]>(fresh_bytes_);
      uint8_t* p = bytes.get();
      for (const Fresh& f : fresh_) {
        rec.instances[f.at] = render_instance(p, name_, *f.id, *f.inst, domain_wire_);
        p += f.bytes;
      }
      rec.blocks.push_back({std::move(bytes), fresh_bytes_});
      rec.block_bytes += fresh_bytes_;
    }
    rec.live_bytes =
        (previous_ != nullptr ? previous_->live_bytes : 0) - dropped_bytes_ + fresh_bytes_;
    if (rec.blocks.size() > kMaxBlocks || rec.block_bytes > 2 * rec.live_bytes) {
      compact(rec);
    }

    if (previous_ != nullptr && fresh_.size() + dropped_.size() <= kMergeAtMost) {
      merge_addresses<4>(previous_->a, addresses<4>(false), addresses<4>(true), rec.instances,
                         rec.a);
      merge_addresses<16>(previous_->aaaa, addresses<16>(false), addresses<16>(true),
                          rec.instances, rec.aaaa);
    } else {
      distinct_addresses<4>(rec.instances, rec.a);
      distinct_addresses<16>(rec.instances, rec.aaaa);
    }

    for (size_t p = 0; p < 2; ++p) {
      const bool udp = p == 1;
      // Splice when the previous answer held every old instance and each fresh one
      // has this protocol too; else (rarely: mixed protocols) render it whole.
      const bool old_all = !old_.empty() && previous_->srv_answer[p].count() == old_.size();
      const bool fresh_all = std::all_of(fresh_.begin(), fresh_.end(), [&](const Fresh& f) {
        return rec.instances[f.at].udp == udp;
      });
      if (old_all && fresh_all && !rec.instances.empty()) {
        splice_srv_answer(rec.srv_answer[p], previous_->srv_answer[p], runs_, rec.instances);
      } else {
        render_srv_answer(rec.srv_answer[p], rec.instances, udp);
      }
    }
    return std::move(rec_);
  }

 private:
  // The addresses of family N of the fresh instances, or (`of_dropped`) of the dropped ones,
  // in a scratch vector.
  template <size_t N>
  std::vector<std::array<uint8_t, N>>& addresses(bool of_dropped) const {
    auto& out = of_dropped ? scratch_.delta<N>().removed : scratch_.delta<N>().added;
    out.clear();
    auto add = [&](const ServedInstance& s) {
      if (s.ipv6 == (N == 16)) {
        std::copy_n(s.address.begin(), N, out.emplace_back().begin());
      }
    };
    if (of_dropped) {
      for (size_t o : dropped_) {
        add(old_[o]);
      }
    } else {
      for (const Fresh& f : fresh_) {
        add(rec_->instances[f.at]);
      }
    }
    return out;
  }

  const std::string& name_;
  const std::vector<uint8_t>& domain_wire_;
  const ServiceRecords* previous_;
  std::shared_ptr<ServiceRecords> rec_;
  std::span<const ServedInstance> old_;
  Scratch& scratch_;
  std::vector<Run>& runs_;
  std::vector<Fresh>& fresh_;
  std::vector<size_t>& dropped_;  // indices in old_
  size_t fresh_bytes_ = 0;
  size_t dropped_bytes_ = 0;
};
}  // namespace

std::optional<std::vector<uint8_t>> domain_to_wire(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') {
    domain.remove_suffix(1);
  }
  std::vector<uint8_t> out;
  while (!domain.empty()) {
    size_t dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      return std::nullopt;
    }
    std::string lower;
    for (char c : label) {
      auto u = static_cast<unsigned char>(c);
      if (!std::isalnum(u) && c != '-' && c != '_') {
        return std::nullopt;
      }
      lower.push_back(static_cast<char>(std::tolower(u)));
    }
    put_label(out, lower);
    domain = dot == std::string_view::npos ? std::string_view{} : domain.substr(dot + 1);
  }
  out.push_back(0);
  if (out.size() == 1 || out.size() > kMaxDomainWire) {
    return std::nullopt;  // the root, or too long to hold service names
  }
  return out;
}

std::shared_ptr<const ServiceRecords> render_service(const std::string& name,
                                                     const Registry::Service& service,
                                                     const std::vector<uint8_t>& domain_wire,
                                                     const ServiceRecords* previous,
                                                     const std::vector<std::string>* changed) {
  constexpr size_t kNone = Assembly::kNone;
  if (previous != nullptr && changed != nullptr) {
    // Everything but `changed` is as it was: the old instances between two changed ids are
    // found by binary search and kept as one run.
    Assembly out(name, domain_wire, previous, previous->instances.size() + changed->size());
    std::span<const ServedInstance> old = out.old();
    size_t o = 0;
    for (const std::string& id : *changed) {
      auto at = std::partition_point(old.begin() + static_cast<ptrdiff_t>(o), old.end(),
                                     [&](const ServedInstance& s) { return s.id < id; });
      out.keep(o, static_cast<size_t>(at - old.begin()));
      o = static_cast<size_t>(at - old.begin());
      auto it = service.find(id);
      const bool served = it != service.end() && is_served(it->second.status);
      out.serve(o < old.size() && old[o].id == id ? o++ : kNone, id,
                served ? &it->second : nullptr);
    }
    out.keep(o, old.size());
    return out.finish();
  }
  // Both lists are sorted by id (std::map): walk them together.
  Assembly out(name, domain_wire, previous, service.size());
  std::span<const ServedInstance> old = out.old();
  size_t o = 0;
  for (const auto& [id, inst] : service) {
    if (!is_served(inst.status)) {
      continue;
    }
    while (o < old.size() && old[o].id < std::string_view(id)) {
      out.drop(o++);
    }
    out.serve(o < old.size() && old[o].id == id ? o++ : kNone, id, &inst);
  }
  while (o < old.size()) {
    out.drop(o++);
  }
  return out.finish();
}

Apex render_apex(const ZoneConfig& zone, const std::vector<uint8_t>& domain_wire, uint64_t index) {
  Apex apex;
  apex.domain_wire = domain_wire;
  apex.ttl = zone.ttl;
  apex.negative_ttl = zone.negative_ttl;

  std::vector<uint8_t> ns_name;
  put_label(ns_name, "ns");
  ns_name.insert(ns_name.end(), domain_wire.begin(), domain_wire.end());
  apex.ns_rdata = ns_name;

  apex.soa_rdata = ns_name;  // MNAME
  put_label(apex.soa_rdata, "hostmaster");  // RNAME hostmaster.<domain>
  apex.soa_rdata.insert(apex.soa_rdata.end(), domain_wire.begin(), domain_wire.end());
  // RFC 1982 serial arithmetic wraps at 2^32, so the low 32 bits of the index still grow.
  put32(apex.soa_rdata, static_cast<uint32_t>(index));
  // srvd has no secondaries; refresh, retry and expire are the values RFC 1912 §2.2 and
  // zonemaster (ZONE02/04/05) ask of any zone, so outside checkers find nothing to flag.
  put32(apex.soa_rdata, 14400);    // refresh
  put32(apex.soa_rdata, 3600);     // retry
  put32(apex.soa_rdata, 1209600);  // expire: two weeks
  put32(apex.soa_rdata, zone.negative_ttl);  // minimum: the negative-caching TTL (RFC 2308)

  for (const auto& a : zone.ns_addresses) {
    if (a.ipv6) {
      apex.ns_aaaa.push_back(a.bytes);
    } else {
      apex.ns_a.push_back({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
    }
  }
  return apex;
}

}  // namespace srvd::registry
