// forwarder.cpp -- non-blocking forwarding: random IDs, answer checks, timeouts, SERVFAIL.
#include "dns/forwarder.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "dns/query.hpp"
#include "dns/tcp_connection.hpp"
#include "dns/udp_listener.hpp"
#include "dns/upstream_tcp.hpp"

namespace srvd::dns {

namespace {
constexpr uint64_t kTickMs = 50;  // deadline resolution
constexpr uint16_t kOpcodeMask = 0x7800;
}  // namespace

struct Forwarder::Pending {
  bool used = false;
  uint32_t generation = 0;  ///< bumped on release, so a late TCP answer finds a stranger
  uint16_t id = 0;          ///< the ID sent upstream (random, RFC 5452 §9.2)
  uint16_t client_id = 0;
  uint16_t client_flags = 0;
  Transport transport = Transport::udp;
  sockaddr_storage client{};
  UdpListener* via = nullptr;     ///< the listener the UDP client asked
  TcpConnection* conn = nullptr;  ///< null once the connection closed
  size_t upstream = 0;            ///< index of the upstream asked now
  size_t tries = 0;
  uint64_t deadline = 0;
  size_t size = 0;
  size_t question_end = 0;
  size_t client_limit = kClassicUdpPayload;
  bool edns = false;
  UpstreamTcp* tcp = nullptr;
  std::array<uint8_t, kMaxQuerySize> query{};  ///< as the client sent it, but with `id`
};

Forwarder::Forwarder(LoopState& state, std::vector<sockaddr_storage> upstreams)
    : state_(state),
      upstreams_(std::move(upstreams)),
      table_(std::make_unique<Pending[]>(kMaxInFlight + 1)),
      by_id_(std::make_unique<std::array<uint16_t, 65536>>()) {
  by_id_->fill(0);
  for (size_t i = kMaxInFlight; i-- > 0;) {
    free_.push_back(static_cast<uint16_t>(i));
  }
}

Forwarder::~Forwarder() = default;

int Forwarder::open() {
  for (const auto& u : upstreams_) {
    bool v6 = u.ss_family == AF_INET6;
    bool& is_open = v6 ? udp6_open_ : udp4_open_;
    if (is_open) {
      continue;
    }
    uv_udp_t* h = v6 ? &udp6_ : &udp4_;
    int rc = uv_udp_init(&state_.loop, h);
    if (rc != 0) {
      return rc;
    }
    is_open = true;
    h->data = this;
    sockaddr_storage any{};
    any.ss_family = u.ss_family;  // the wildcard address, port 0: the kernel picks a port
    rc = uv_udp_bind(h, reinterpret_cast<const sockaddr*>(&any), 0);
    if (rc == 0) {
      rc = uv_udp_recv_start(h, on_alloc, on_recv);
    }
    if (rc != 0) {
      return rc;
    }
  }
  int rc = uv_timer_init(&state_.loop, &timer_);
  timer_open_ = rc == 0;
  timer_.data = this;
  return rc;
}

void Forwarder::close() {
  for (size_t i = 0; i < kMaxInFlight; ++i) {
    if (table_[i].tcp != nullptr) {
      table_[i].tcp->abort();
      table_[i].tcp = nullptr;
    }
  }
  for (auto [h, open] : {std::pair{&udp4_, &udp4_open_}, std::pair{&udp6_, &udp6_open_}}) {
    if (*open && !uv_is_closing(reinterpret_cast<uv_handle_t*>(h))) {
      uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    }
  }
  if (timer_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

void Forwarder::forward_udp(std::span<const uint8_t> in, const sockaddr* client, UdpListener* via) {
  Pending* p = nullptr;
  start(in, p);
  if (p == nullptr) {
    return;
  }
  p->transport = Transport::udp;
  p->via = via;
  std::memcpy(&p->client, client,
              client->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (p->tries == upstreams_.size()) {
    fail(*p);  // start() found no room or no usable query
  } else if (!send_udp(*p)) {
    advance(*p);
  }
}

void Forwarder::forward_tcp(std::span<const uint8_t> in, TcpConnection* conn) {
  Pending* p = nullptr;
  start(in, p);
  if (p == nullptr) {
    return;
  }
  p->transport = Transport::tcp;
  p->conn = conn;
  if (p->tries == upstreams_.size()) {
    fail(*p);
  } else if (!send_udp(*p)) {
    advance(*p);
  }
}

void Forwarder::forget(const TcpConnection* conn) {
  for (size_t i = 0; i < kMaxInFlight; ++i) {
    if (table_[i].used && table_[i].conn == conn) {
      table_[i].conn = nullptr;
    }
  }
}

// Takes a slot for `in` and gives it a fresh random ID. When the table is full or the query
// is too big to keep, the slot is the spare one (tries = all) so the caller answers SERVFAIL.
void Forwarder::start(std::span<const uint8_t> in, Pending*& out) {
  Question q;
  if (parse_query(in, q) != ParseStatus::ok || q.question_end > kMaxQuerySize) {
    return;  // handle_query parsed it already; cannot happen
  }
  Pending* p = &table_[kMaxInFlight];  // the spare: answered at once, never in flight
  bool room = !free_.empty() && in.size() <= kMaxQuerySize;
  if (room) {
    p = &table_[free_.back()];
    free_.pop_back();
  }
  p->used = room;
  p->client_id = q.id;
  p->client_flags = q.flags;
  p->question_end = q.question_end;
  p->edns = q.edns.present;
  p->client_limit =
      q.edns.present ? std::max(q.edns.payload, kClassicUdpPayload) : kClassicUdpPayload;
  p->conn = nullptr;
  p->tcp = nullptr;
  p->upstream = 0;
  p->tries = room ? 0 : upstreams_.size();
  size_t n = room ? in.size() : q.question_end;
  std::memcpy(p->query.data(), in.data(), n);
  p->size = n;
  out = p;
  if (!room) {
    return;
  }
  ++in_flight_;
  ++counters_.forwarded;
  do {
    p->id = static_cast<uint16_t>(arc4random());  // RFC 5452 §9.2: unpredictable IDs
  } while ((*by_id_)[p->id] != 0);
  (*by_id_)[p->id] = static_cast<uint16_t>(p - table_.get() + 1);
  put16(p->query.data(), p->id);
  p->deadline = uv_now(&state_.loop) + state_.options.upstream_timeout_ms;
  if (!ticking_ && timer_open_) {
    ticking_ = uv_timer_start(&timer_, on_tick, kTickMs, kTickMs) == 0;
  }
}

uv_udp_t* Forwarder::socket_for(const sockaddr_storage& upstream) {
  return upstream.ss_family == AF_INET6 ? (udp6_open_ ? &udp6_ : nullptr)
                                        : (udp4_open_ ? &udp4_ : nullptr);
}

bool Forwarder::send_udp(Pending& p) {
  const sockaddr_storage& to = upstreams_[p.upstream];
  uv_udp_t* h = socket_for(to);
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(p.query.data()), static_cast<unsigned>(p.size));
  p.deadline = uv_now(&state_.loop) + state_.options.upstream_timeout_ms;
  return h != nullptr && uv_udp_try_send(h, &buf, 1, reinterpret_cast<const sockaddr*>(&to)) >= 0;
}

void Forwarder::advance(Pending& p) {
  if (p.tcp != nullptr) {
    p.tcp->abort();
    p.tcp = nullptr;
  }
  while (++p.tries < upstreams_.size()) {
    p.upstream = (p.upstream + 1) % upstreams_.size();
    if (send_udp(p)) {
      return;
    }
  }
  fail(p);
}

void Forwarder::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto& slab = static_cast<Forwarder*>(h->data)->state_.slab;
  *buf = uv_buf_init(reinterpret_cast<char*>(slab.data()), static_cast<unsigned>(slab.size()));
}

void Forwarder::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t*, const sockaddr* addr,
                        unsigned flags) noexcept {
  if (nread <= 0 || addr == nullptr || (flags & UV_UDP_PARTIAL) != 0) {
    return;
  }
  auto* self = static_cast<Forwarder*>(h->data);
  self->receive(std::span<const uint8_t>(self->state_.slab.data(), static_cast<size_t>(nread)),
                addr);
}

namespace {
bool same_address(const sockaddr* a, const sockaddr_storage& b) {
  if (a->sa_family != b.ss_family) {
    return false;
  }
  if (a->sa_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  auto* x = reinterpret_cast<const sockaddr_in6*>(a);
  auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
  return x->sin6_port == y->sin6_port &&
         std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

bool same_question(std::span<const uint8_t> msg, const uint8_t* ours, size_t end) {
  if (msg.size() < end || get16(msg.data() + 4) != 1) {
    return false;
  }
  for (size_t i = kHeaderSize; i < end; ++i) {  // the upstream may change the name's case
    if (ascii_lower(msg[i]) != ascii_lower(ours[i])) {
      return false;
    }
  }
  return true;
}
}  // namespace

void Forwarder::receive(std::span<const uint8_t> msg, const sockaddr* from) {
  if (msg.size() < kHeaderSize || (get16(msg.data() + 2) & flag::QR) == 0) {
    ++counters_.rejected;
    return;
  }
  uint16_t slot = (*by_id_)[get16(msg.data())];
  Pending* p = slot != 0 ? &table_[slot - 1u] : nullptr;
  // RFC 5452 §9.1: the answer must come from where the query went, with its ID and question.
  if (p == nullptr || !p->used || p->tcp != nullptr ||
      !same_address(from, upstreams_[p->upstream]) ||
      !same_question(msg, p->query.data(), p->question_end)) {
    ++counters_.rejected;
    return;
  }
  bool truncated = (get16(msg.data() + 2) & flag::TC) != 0;
  if (truncated && p->transport == Transport::tcp) {
    // RFC 7766 §5: the full answer is owed to a TCP client; ask again over TCP.
    ++counters_.over_tcp;
    p->tcp = new UpstreamTcp(*this, slot - 1u, p->generation);
    p->deadline = uv_now(&state_.loop) + state_.options.upstream_timeout_ms;
    if (!p->tcp->start(&state_.loop, upstreams_[p->upstream], std::span(p->query).first(p->size))) {
      p->tcp = nullptr;
      advance(*p);
    }
    return;
  }
  deliver(*p, msg);
}

void Forwarder::tcp_done(size_t slot, uint32_t generation, std::span<const uint8_t> answer) {
  Pending& p = table_[slot];
  if (!p.used || p.generation != generation) {
    return;
  }
  p.tcp = nullptr;  // it is finishing on its own
  if (answer.size() < kHeaderSize || get16(answer.data()) != p.id ||
      !same_question(answer, p.query.data(), p.question_end)) {
    advance(p);
    return;
  }
  deliver(p, answer);
}

void Forwarder::deliver(Pending& p, std::span<const uint8_t> answer) {
  std::span<uint8_t> out = state_.response_body();
  size_t n = std::min(answer.size(), out.size());
  std::memcpy(out.data(), answer.data(), n);
  // The client's ID and its question as asked (its case); RA, since we recursed for it.
  put16(out.data(), p.client_id);
  put16(out.data() + 2, get16(out.data() + 2) | flag::RA);
  std::memcpy(out.data() + kHeaderSize, p.query.data() + kHeaderSize, p.question_end - kHeaderSize);
  if (p.transport == Transport::udp && n > p.client_limit) {
    // Larger than the client can take: the question alone with TC (RFC 2181 §9).
    put16(out.data() + 2, get16(out.data() + 2) | flag::TC);
    std::memset(out.data() + 6, 0, 6);
    n = p.question_end;
  }
  ++counters_.answered;
  reply(p, n);
}

void Forwarder::fail(Pending& p) {
  // RFC 8906 §3.1.3.1: a query we cannot answer still gets a response: SERVFAIL.
  std::span<uint8_t> out = state_.response_body();
  std::memcpy(out.data(), p.query.data(), p.question_end);
  put16(out.data(), p.client_id);
  uint16_t keep = p.client_flags & (kOpcodeMask | flag::RD | flag::CD);
  put16(out.data() + 2, static_cast<uint16_t>(flag::QR | flag::RA | keep | rcode::ServFail));
  std::memset(out.data() + 4, 0, 8);
  put16(out.data() + 4, 1);
  size_t n = p.question_end;
  if (p.edns) {  // RFC 6891 §6.1.1: an OPT in the query gets one in the response
    uint8_t* opt = out.data() + n;
    std::memset(opt, 0, kOptRecordSize);
    put16(opt + 1, type::OPT);
    put16(opt + 3, state_.options.edns_payload);
    put16(out.data() + 10, 1);
    n += kOptRecordSize;
  }
  ++counters_.servfail;
  reply(p, n);
}

void Forwarder::reply(Pending& p, size_t n) {
  if (p.transport == Transport::udp) {
    if (!p.via->send_to(state_.response_body().first(n),
                        reinterpret_cast<const sockaddr*>(&p.client))) {
      ++state_.ctx.counters.send_failed;
    }
  } else if (p.conn != nullptr) {
    p.conn->send_response(n);
  }
  release(p);
}

void Forwarder::release(Pending& p) {
  if (!p.used) {
    return;  // the overflow slot
  }
  if (p.tcp != nullptr) {
    p.tcp->abort();
    p.tcp = nullptr;
  }
  (*by_id_)[p.id] = 0;
  p.used = false;
  p.conn = nullptr;
  ++p.generation;
  free_.push_back(static_cast<uint16_t>(&p - table_.get()));
  if (--in_flight_ == 0 && ticking_) {
    uv_timer_stop(&timer_);
    ticking_ = false;
  }
}

void Forwarder::on_tick(uv_timer_t* t) noexcept { static_cast<Forwarder*>(t->data)->tick(); }

void Forwarder::tick() {
  uint64_t now = uv_now(&state_.loop);
  for (size_t i = 0; i < kMaxInFlight; ++i) {
    if (table_[i].used && table_[i].deadline <= now) {
      advance(table_[i]);
    }
  }
}

}  // namespace srvd::dns
