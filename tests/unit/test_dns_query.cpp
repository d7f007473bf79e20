// test_dns_query.cpp -- untrusted packets: header checks in NSD's order, limits, fuzzing.
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "dns/query.hpp"
#include "test_dns_support.hpp"

using namespace srvd::dns;
using namespace srvd::dns::test;
using Bytes = std::vector<uint8_t>;

namespace {

// A query header: ID 0xABCD, the given flags word and counts.
Bytes header(uint16_t flags, uint16_t qd, uint16_t an = 0, uint16_t ns = 0, uint16_t ar = 0) {
  return {0xAB,
          0xCD,
          static_cast<uint8_t>(flags >> 8),
          static_cast<uint8_t>(flags),
          static_cast<uint8_t>(qd >> 8),
          static_cast<uint8_t>(qd),
          static_cast<uint8_t>(an >> 8),
          static_cast<uint8_t>(an),
          static_cast<uint8_t>(ns >> 8),
          static_cast<uint8_t>(ns),
          static_cast<uint8_t>(ar >> 8),
          static_cast<uint8_t>(ar)};
}

void append(Bytes& b, std::initializer_list<uint8_t> more) { b.insert(b.end(), more); }

// "\7payment\3svc\10internal\0" A IN
void append_question(Bytes& b) {
  const char name[] = "\x07payment\x03svc\x08internal";
  b.insert(b.end(), name, name + sizeof name);  // includes the root's zero byte
  append(b, {0, 1, 0, 1});
}

const uint8_t kOptRecord[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};  // payload 1232

std::vector<uint8_t> out_buffer() { return std::vector<uint8_t>(kMaxMessageSize); }

// The header-only error replies (FORMERR, NOTIMP): ID echoed, QR set, AA clear, no records.
void require_header_only(const Bytes& in, uint8_t rcode, uint8_t opcode = 0) {
  QueryContext ctx;
  auto out = out_buffer();
  size_t n = handle_query(*demo_snapshot(), in, out, Transport::udp, ctx);
  REQUIRE(n == 12);
  Reply r = parse_reply({out.begin(), out.begin() + 12});
  CHECK(ldns_pkt_id(r.pkt.get()) == 0xABCD);
  CHECK(ldns_pkt_qr(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_aa(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_tc(r.pkt.get()));
  CHECK_FALSE(ldns_pkt_ra(r.pkt.get()));
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == rcode);
  CHECK(((r.wire[2] >> 3) & 0x0F) == opcode);  // raw: ldns's enum lacks unassigned opcodes
  for (int i = 0; i < 4; ++i) {
    CHECK(r.count(i) == 0);
  }
}

size_t run(const Bytes& in) {
  QueryContext ctx;
  auto out = out_buffer();
  return handle_query(*demo_snapshot(), in, out, Transport::udp, ctx);
}

// A name of exactly `size` wire bytes under svc.internal.: filler labels of 1-63 bytes.
Bytes name_of_size(size_t size) {
  const Bytes domain = {3, 's', 'v', 'c', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};
  Bytes name;
  size_t filler = size - domain.size();
  while (filler > 0) {
    size_t label = std::min<size_t>(filler - 1, 63);
    if (filler - (label + 1) == 1) {
      --label;  // never leave a single byte, which cannot be a label
    }
    name.push_back(static_cast<uint8_t>(label));
    name.insert(name.end(), label, 'x');
    filler -= label + 1;
  }
  name.insert(name.end(), domain.begin(), domain.end());
  return name;
}

}  // namespace

TEST_CASE("query: runts and responses are dropped unanswered", "[dns][query]") {
  Bytes q = make_query("payment.svc.internal.", LDNS_RR_TYPE_A);
  CHECK(run({}) == 0);
  CHECK(run({0xAB}) == 0);
  CHECK(run(Bytes(q.begin(), q.begin() + 11)) == 0);
  q[2] |= 0x80;  // QR
  CHECK(run(q) == 0);
}

TEST_CASE("query: opcodes other than QUERY get NOTIMP", "[dns][query]") {
  for (uint8_t opcode : {1, 2, 4, 5, 15}) {
    INFO("opcode " << int{opcode});
    // Without a readable question: the header alone.
    require_header_only(header(static_cast<uint16_t>(opcode << 11), 0), LDNS_RCODE_NOTIMPL, opcode);
    Bytes cut = header(static_cast<uint16_t>(opcode << 11), 1);
    append(cut, {7, 'p', 'a', 'y'});
    require_header_only(cut, LDNS_RCODE_NOTIMPL, opcode);
    // With one: the question echoed, and our OPT when the query had one (RFC 6891 §6.1.1).
    Bytes q = header(static_cast<uint16_t>(opcode << 11), 1, 0, 0, 1);
    append_question(q);
    q.insert(q.end(), std::begin(kOptRecord), std::end(kOptRecord));
    QueryContext ctx;
    auto out = out_buffer();
    size_t n = handle_query(*demo_snapshot(), q, out, Transport::udp, ctx);
    REQUIRE(n == q.size());
    CHECK((out[3] & 0x0F) == LDNS_RCODE_NOTIMPL);
    CHECK(((out[2] >> 3) & 0x0F) == opcode);
    CHECK((out[2] & 0x84) == 0x80);                                     // QR set, AA clear
    CHECK(std::equal(q.begin() + 12, q.end() - 11, out.begin() + 12));  // the question
    CHECK(out[11] == 1);                                                // ARCOUNT: the OPT
    CHECK(get16(out.data() + n - 11 + 1) == type::OPT);
    CHECK(ctx.counters.notimp == 1);
  }
}

TEST_CASE("query: QDCOUNT other than 1 gets FORMERR", "[dns][query]") {
  Bytes none = header(0x0100, 0);
  require_header_only(none, LDNS_RCODE_FORMERR);
  Bytes two = header(0x0100, 2);
  append_question(two);
  append_question(two);
  require_header_only(two, LDNS_RCODE_FORMERR);
}

TEST_CASE("query: malformed names and cut questions get FORMERR", "[dns][query]") {
  SECTION("a pointer in the question, here to itself (a loop)") {
    Bytes q = header(0, 1);
    append(q, {0xC0, 12, 0, 1, 0, 1});
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("a pointer after a label") {
    Bytes q = header(0, 1);
    append(q, {1, 'a', 0xC0, 12, 0, 1, 0, 1});
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("reserved label types 0x40 and 0x80") {
    for (uint8_t t : {0x40, 0x80}) {
      Bytes q = header(0, 1);
      append(q, {t, 'a', 0, 0, 1, 0, 1});
      require_header_only(q, LDNS_RCODE_FORMERR);
    }
  }
  SECTION("a label running past the end") {
    Bytes q = header(0, 1);
    append(q, {20, 'a', 'b'});
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("a name without its root label") {
    Bytes q = header(0, 1);
    append(q, {1, 'a'});
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("every cut of a real query, down to the header") {
    Bytes q = make_query("payment.svc.internal.", LDNS_RR_TYPE_A, {.id = 0xABCD});
    for (size_t len = 12; len < q.size(); ++len) {
      INFO("length " << len);
      require_header_only(Bytes(q.begin(), q.begin() + static_cast<long>(len)), LDNS_RCODE_FORMERR);
    }
  }
  SECTION("a query one byte short of its OPT record") {
    Bytes q =
        make_query("payment.svc.internal.", LDNS_RR_TYPE_A, {.id = 0xABCD, .edns_payload = 1232});
    q.pop_back();
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
}

TEST_CASE("query: names at the RFC 1035 limits", "[dns][query]") {
  Bytes q = header(0x0100, 1);
  Bytes name = name_of_size(255);
  REQUIRE(name.size() == 255);
  q.insert(q.end(), name.begin(), name.end());
  append(q, {0, 1, 0, 1});
  Reply r = parse_reply([&] {
    auto out = out_buffer();
    QueryContext ctx;
    out.resize(handle_query(*demo_snapshot(), q, out, Transport::udp, ctx));
    return out;
  }());
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NXDOMAIN);
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(ldns_pkt_authority(r.pkt.get()) != nullptr);

  Bytes too_long = header(0x0100, 1);
  name = name_of_size(256);
  too_long.insert(too_long.end(), name.begin(), name.end());
  append(too_long, {0, 1, 0, 1});
  require_header_only(too_long, LDNS_RCODE_FORMERR);

  Question parsed;
  REQUIRE(parse_query(q, parsed) == ParseStatus::ok);
  CHECK(parsed.name_size == 255);

  Bytes label63 = header(0, 1);
  append(label63, {63});
  label63.insert(label63.end(), 63, 'A');
  append(label63, {3, 's', 'v', 'c', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0, 0, 1, 0, 1});
  REQUIRE(parse_query(label63, parsed) == ParseStatus::ok);
  CHECK(parsed.label(0) == std::string(63, 'a'));  // lowercased for matching
  CHECK(parsed.label_count == 3);
}

TEST_CASE("query: trailing bytes after the declared sections are ignored", "[dns][query]") {
  Bytes q = make_query("payment.svc.internal.", LDNS_RR_TYPE_A);
  append(q, {0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0});
  auto out = out_buffer();
  QueryContext ctx;
  size_t n = handle_query(*demo_snapshot(), q, out, Transport::udp, ctx);
  Reply r = parse_reply({out.begin(), out.begin() + static_cast<long>(n)});
  CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_ancount(r.pkt.get()) == 3);
  CHECK(ldns_pkt_qdcount(r.pkt.get()) == 1);
}

TEST_CASE("query: OPT records are checked (RFC 6891 §6.1.1)", "[dns][query][edns]") {
  SECTION("two OPT records: FORMERR") {
    Bytes q = header(0, 1, 0, 0, 2);
    append_question(q);
    q.insert(q.end(), std::begin(kOptRecord), std::end(kOptRecord));
    q.insert(q.end(), std::begin(kOptRecord), std::end(kOptRecord));
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("an OPT owned by a name other than the root: FORMERR") {
    Bytes q = header(0, 1, 0, 0, 1);
    append_question(q);
    append(q, {1, 'a'});
    q.insert(q.end(), std::begin(kOptRecord), std::end(kOptRecord));
    require_header_only(q, LDNS_RCODE_FORMERR);
  }
  SECTION("an OPT after other additional records is found") {
    Bytes q = header(0, 1, 0, 0, 2);
    append_question(q);
    append(q, {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4});  // an A record, compressed
    q.insert(q.end(), std::begin(kOptRecord), std::end(kOptRecord));
    Question parsed;
    REQUIRE(parse_query(q, parsed) == ParseStatus::ok);
    CHECK(parsed.edns.present);
    CHECK(parsed.edns.payload == 1232);
  }
  SECTION("payload sizes below 512 are read as 512") {
    Reply r = ask(*demo_snapshot(),
                  make_query("payment.svc.internal.", LDNS_RR_TYPE_A, {.edns_payload = 100}));
    CHECK(ldns_pkt_get_rcode(r.pkt.get()) == LDNS_RCODE_NOERROR);
    CHECK(ldns_pkt_ancount(r.pkt.get()) == 3);
  }
}

TEST_CASE("query: mutated packets never crash and every reply parses", "[dns][query][fuzz]") {
  std::mt19937 rng(20240601);
  std::vector<Bytes> seeds = {
      make_query("_payment._tcp.svc.internal.", LDNS_RR_TYPE_SRV, {.edns_payload = 1232}),
      make_query("payment.svc.internal.", LDNS_RR_TYPE_A),
      make_query("svc.internal.", LDNS_RR_TYPE_NS),
      make_query("a1.payment.svc.internal.", LDNS_RR_TYPE_TXT, {.edns_payload = 512}),
  };
  auto out = out_buffer();
  QueryContext ctx;
  size_t answered = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes q = seeds[static_cast<size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          q[rng() % q.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          q.resize(rng() % (q.size() + 1));
          break;
        default:
          q.push_back(static_cast<uint8_t>(rng()));
      }
      if (q.empty()) {
        break;
      }
    }
    size_t n = handle_query(*demo_snapshot(), q, out, Transport::udp, ctx);
    if (n == 0) {
      continue;
    }
    ++answered;
    ldns_pkt* p = nullptr;
    INFO("iteration " << i);
    REQUIRE(ldns_wire2pkt(&p, out.data(), n) == LDNS_STATUS_OK);
    PktPtr pkt(p);
    REQUIRE(n <= 1232);
  }
  CHECK(answered > 10000);
}
