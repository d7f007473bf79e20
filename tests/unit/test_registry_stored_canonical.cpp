// test_registry_stored_canonical.cpp -- the fast reader of srvd's own documents gives what the
// general (nlohmann tree) reader gives: the same instance, or the same error.
#include <catch2/catch.hpp>

#include <random>

#include "registry/stored_canonical.hpp"
#include "registry/stored_instance.hpp"
#include "test_registry_support.hpp"

using namespace srvd::registry;

namespace {

/// full_instance() with ASCII-only meta (the fast reader's domain), and characters JSON
/// cares about in it.
Instance ascii_instance() {
  Instance i = full_instance();
  i.meta = {{"version", "1.4.2"}, {"zone", "b"}, {"Note", "a ~ b {x:[1]}, 'q'"}};
  return i;
}

/// Equal in every field a document carries, and in the address's bytes.
void require_same(const Instance& a, const Instance& b) {
  REQUIRE(a.service == b.service);
  REQUIRE(a.id == b.id);
  REQUIRE(a.address == b.address);
  REQUIRE(a.address.text == b.address.text);
  REQUIRE(to_stored_json(a) == to_stored_json(b));
}

/// from_stored_json (fast path first) and the tree reader alone agree: both the same error,
/// or both the same instance. Returns true when the document loaded.
bool readers_agree(std::string_view doc, std::string_view service, std::string_view id) {
  INFO("document: " << doc);
  auto fast = from_stored_json(doc, service, id);
  auto tree = from_stored_json_via_tree(doc, service, id);
  REQUIRE(fast.index() == tree.index());
  if (auto* err = std::get_if<std::string>(&tree)) {
    REQUIRE(std::get<std::string>(fast) == *err);
    return false;
  }
  require_same(std::get<Instance>(fast), std::get<Instance>(tree));
  return true;
}

/// An instance with every field drawn at random from values that matter to a parser:
/// empty and long strings, 0 and maximum integers, every enum value, a check or none.
Instance random_instance(std::mt19937_64& rng) {
  auto pick = [&rng](auto const& options) { return options[rng() % options.size()]; };
  const std::vector<std::string> texts = {"", "x", "a b", "{\"}", "1.0", "true", "null", "z,:]"};
  const std::vector<uint64_t> big = {0, 1, 1000, 65535, 4294967295ULL, 9223372036854775807ULL,
                                     18446744073709551615ULL};
  const std::vector<Status> statuses = {Status::healthy, Status::warning, Status::critical,
                                        Status::maintenance};
  Instance i;
  i.service = pick(std::vector<std::string>{"web", "svc9999", "a-b"});
  i.id = pick(std::vector<std::string>{"i0", "x", "n-1-2"});
  i.address = *parse_address(pick(std::vector<std::string>{"10.0.0.1", "::1", "fe80::1:2"}));
  i.port = static_cast<uint16_t>(pick(std::vector<uint64_t>{1, 80, 65535}));
  i.protocol = rng() % 2 ? Protocol::udp : Protocol::tcp;
  i.priority = static_cast<uint16_t>(pick(big));
  i.weight = static_cast<uint16_t>(pick(big));
  for (size_t n = rng() % 4; n > 0; --n) {
    i.tags.push_back(pick(texts) + "t");
  }
  for (size_t n = rng() % 4; n > 0; --n) {
    i.meta[pick(texts) + "k" + std::to_string(n)] = pick(texts);
  }
  i.status = pick(statuses);
  i.status_reason = pick(texts);
  i.source = rng() % 2 ? Source::file : Source::api;
  i.ttl_ms = pick(big);
  i.deregister_after_ms = pick(big);
  if (rng() % 2) {
    i.check = CheckSpec{rng() % 2 ? CheckSpec::Kind::http : CheckSpec::Kind::tcp,
                        pick(std::vector<std::string>{"127.0.0.1:80", "http://[::1]:8/h", ""}),
                        static_cast<uint32_t>(pick(big)), static_cast<uint32_t>(pick(big)),
                        static_cast<uint16_t>(pick(big)), static_cast<uint16_t>(pick(big))};
  }
  i.maintenance = rng() % 2;
  i.health = pick(statuses);
  i.ttl_expired = rng() % 2;
  i.passes = static_cast<uint16_t>(pick(big));
  i.failures = static_cast<uint16_t>(pick(big));
  i.check_output = pick(texts);
  i.checked_at_ms = static_cast<int64_t>(pick(big) >> 1);
  i.status_changed_at_ms = static_cast<int64_t>(pick(big) >> 1);
  i.unserved_at_ms = static_cast<int64_t>(pick(big) >> 1);
  i.registered_at_ms = static_cast<int64_t>(pick(big) >> 1);
  i.updated_at_ms = static_cast<int64_t>(pick(big) >> 1);
  return i;
}

}  // namespace

TEST_CASE("stored canonical: srvd's own documents take the fast path, every field intact",
          "[stored]") {
  Instance in = ascii_instance();
  for (int variant = 0; variant < 3; ++variant) {
    if (variant == 1) {
      in.check = CheckSpec{CheckSpec::Kind::http, "http://127.0.0.1:80/health", 10000, 2000, 1, 1};
    } else if (variant == 2) {
      in.check.reset();
      in.deregister_after_ms = 0;
      in.tags.clear();
      in.meta.clear();
      in.address = *parse_address("10.0.0.5");
    }
    INFO("variant " << variant);
    std::string doc = to_stored_json(in);
    auto fast = read_canonical_document(doc, in.service, in.id);
    REQUIRE(fast.has_value());
    CHECK(fast->service == in.service);
    CHECK(fast->id == in.id);
    CHECK(fast->address == in.address);
    CHECK(fast->address.text == in.address.text);
    CHECK(fast->port == in.port);
    CHECK(fast->protocol == in.protocol);
    CHECK(fast->priority == in.priority);
    CHECK(fast->weight == in.weight);
    CHECK(fast->tags == in.tags);
    CHECK(fast->meta == in.meta);
    CHECK(fast->status == in.status);
    CHECK(fast->status_reason == in.status_reason);
    CHECK(fast->source == in.source);
    CHECK(fast->ttl_ms == in.ttl_ms);
    CHECK(fast->deregister_after_ms == in.deregister_after_ms);
    CHECK(fast->check == in.check);
    CHECK(fast->maintenance == in.maintenance);
    CHECK(fast->health == in.health);
    CHECK(fast->ttl_expired == in.ttl_expired);
    CHECK(fast->passes == in.passes);
    CHECK(fast->failures == in.failures);
    CHECK(fast->check_output == in.check_output);
    CHECK(fast->checked_at_ms == in.checked_at_ms);
    CHECK(fast->status_changed_at_ms == in.status_changed_at_ms);
    CHECK(fast->unserved_at_ms == in.unserved_at_ms);
    CHECK(fast->registered_at_ms == in.registered_at_ms);
    CHECK(fast->updated_at_ms == in.updated_at_ms);
    CHECK(readers_agree(doc, in.service, in.id));
  }
}

TEST_CASE("stored canonical: documents in another form go to the general reader", "[stored]") {
  const std::string doc = to_stored_json(ascii_instance());
  auto not_fast = [](const std::string& d) {
    INFO(d);
    CHECK_FALSE(read_canonical_document(d, "payments", "p-1").has_value());
    return readers_agree(d, "payments", "p-1");
  };
  auto replaced = [&doc](std::string_view from, std::string_view to) {
    std::string d = doc;
    auto at = d.find(from);
    REQUIRE(at != std::string::npos);
    return d.replace(at, from.size(), to);
  };
  // Loads through the general reader: whitespace, escapes, UTF-8, key case, key order.
  CHECK(not_fast(" " + doc + "\n"));
  CHECK(not_fast(replaced("\"disk swap\"", "\"disk\\u0020swap\"")));
  CHECK(not_fast(replaced("\"disk swap\"", "\"h\xc3\xa9llo\"")));
  CHECK(not_fast(replaced(R"({"id":"p-1","name":"payments",)", R"({"name":"payments","id":"p-1",)")));
  CHECK(not_fast(replaced("\"metadata\":{", "\"metadata\":{\"zone\":\"a\",")));  // duplicate key
  CHECK(not_fast(replaced("\"reason\":\"disk swap\"", "\"reason\":null")));
  CHECK(not_fast(replaced("\"status\":\"DOWN\"", "\"status\":1")));
  // A name in other case is the key's, as the general reader decides: still the fast path.
  const std::string upper = replaced("\"name\":\"payments\"", "\"name\":\"Payments\"");
  CHECK(read_canonical_document(upper, "payments", "p-1").has_value());
  CHECK(readers_agree(upper, "payments", "p-1"));
  // Refused, with the general reader's error.
  CHECK_FALSE(not_fast(replaced("\"priority\":3", "\"priority\":70000")));
  CHECK_FALSE(not_fast(replaced("\"priority\":3", "\"priority\":03")));
  CHECK_FALSE(not_fast(replaced("\"priority\":3", "\"priority\":3.5")));
  CHECK_FALSE(not_fast(replaced("\"priority\":3", "\"priority\":-3")));
  CHECK_FALSE(not_fast(replaced("\"ttl_ms\":15000", "\"ttl_ms\":18446744073709551616")));
  CHECK_FALSE(not_fast(replaced("\"checked_at_ms\":1764300000123",
                                "\"checked_at_ms\":9223372036854775808")));
  CHECK_FALSE(not_fast(replaced("\"health\":\"warning\"", "\"health\":\"sick\"")));
  CHECK_FALSE(not_fast(replaced("\"protocol\":\"udp\"", "\"protocol\":\"sctp\"")));
  CHECK_FALSE(not_fast(replaced("\"source\":\"file\"", "\"source\":\"disk\"")));
  CHECK_FALSE(not_fast(replaced("\"id\":\"p-1\"", "\"id\":\"p-2\"")));
  CHECK_FALSE(not_fast(replaced("\"address\":\"2001:db8::7\"", "\"address\":\"db8::g\"")));
  CHECK_FALSE(not_fast(replaced("\"port\":8443", "\"port\":0")));
  CHECK_FALSE(not_fast(replaced("\"check_output\":\"HTTP 429\"", "\"check_output\":\"\x01\"")));
  CHECK_FALSE(not_fast(doc + "x"));
  CHECK_FALSE(not_fast(doc.substr(0, doc.size() - 1)));
  // What passes the parser still passes validate_instance, in both readers.
  CHECK_FALSE(readers_agree(replaced("\"ttl_ms\":15000", "\"ttl_ms\":5"), "payments", "p-1"));
  CHECK_FALSE(readers_agree(replaced("\"rise\":3", "\"rise\":0"), "payments", "p-1"));
}

TEST_CASE("stored canonical: random documents and their corruptions read the same both ways",
          "[stored]") {
  std::mt19937_64 rng(6);
  const std::string noise = "{}[]:,\"\\ 0123456789-.eEtrufalsn\x01\x7f\xc3\xff";
  size_t loaded = 0;
  for (int n = 0; n < 300; ++n) {
    Instance in = random_instance(rng);
    const std::string doc = to_stored_json(in);
    loaded += readers_agree(doc, in.service, in.id);
    for (int m = 0; m < 40; ++m) {
      std::string bad = doc;
      size_t at = rng() % bad.size();
      switch (rng() % 4) {
        case 0:
          bad.erase(at, 1 + rng() % 3);
          break;
        case 1:
          bad[at] = noise[rng() % noise.size()];
          break;
        case 2:
          bad.insert(at, 1, noise[rng() % noise.size()]);
          break;
        default:
          bad.resize(at);
          break;
      }
      readers_agree(bad, in.service, in.id);
    }
  }
  CHECK(loaded > 0);  // some random instances are valid, so the success path is compared too
}
