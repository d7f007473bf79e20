// test_dns_zones.cpp -- zones/*.zone: the loader (ldns) and answers from static zones.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dns/zone_loader.hpp"
#include "test_dns_support.hpp"

namespace srvd::dns::test {
namespace {

namespace fs = std::filesystem;

/// A fresh directory holding the given files, removed afterwards.
struct ZoneDir {
  fs::path dir;
  explicit ZoneDir(std::initializer_list<std::pair<const char*, const char*>> files) {
    char tmpl[] = "/tmp/srvd-zones.XXXXXX";
    dir = ::mkdtemp(tmpl);
    for (const auto& [name, text] : files) {
      std::ofstream(dir / name) << text;
    }
  }
  ~ZoneDir() { fs::remove_all(dir); }
};

constexpr const char* kExample = R"($ORIGIN example.test.
$TTL 300
@      IN SOA ns1 hostmaster 7 3600 600 86400 60
       IN NS  ns1
       IN MX  10 mail
ns1    IN A   192.0.2.53
www    IN A   192.0.2.10
www    IN AAAA 2001:db8::10
alias  IN CNAME www
a.b    IN TXT "deep"
sub    IN NS  ns.sub
ns.sub IN A   192.0.2.99
)";

constexpr const char* kOther = R"(other.test. 120 IN SOA ns.other.test. h.other.test. 1 2 3 4 30
other.test. 120 IN NS ns.other.test.
ns.other.test. 120 IN A 198.51.100.1
)";

constexpr const char* kExtras = R"($TTL 60
www     IN A  10.1.1.1
@       IN MX 10 mail.svc.internal.
@       IN NS elsewhere.example.
payment IN A  10.9.9.9
)";

constexpr const char* kBad = R"($ORIGIN bad.test.
@ IN SOA ns hm 1 2 3 4 5
ok IN A 192.0.2.1
x  IN A 1.2.3
)";

std::shared_ptr<const registry::Snapshot> snapshot_with(const ZoneLoadResult& r) {
  registry::Registry reg = demo_registry();
  reg.set_static_zones(r.zones);
  return reg.publish();
}

uint8_t rcode_of(const Reply& r) { return static_cast<uint8_t>(r.flags() & 0x0F); }
bool aa(const Reply& r) { return (r.flags() & 0x0400) != 0; }

}  // namespace

TEST_CASE("zones: a good file is served with its SOA, NS, records and AA", "[zones]") {
  ZoneDir d({{"example.test.zone", kExample}});
  ZoneLoadResult r = load_zone_dir(d.dir.string(), "svc.internal");
  REQUIRE(r.errors.empty());
  REQUIRE(r.loaded.size() == 1);
  auto s = snapshot_with(r);

  Reply soa = ask(*s, make_query("example.test.", LDNS_RR_TYPE_SOA));
  CHECK(aa(soa));
  CHECK(answer(soa) == std::vector<std::string>{
                           "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. "
                           "7 3600 600 86400 60"});
  Reply ns = ask(*s, make_query("example.test.", LDNS_RR_TYPE_NS));
  CHECK(answer(ns) == std::vector<std::string>{"example.test. 300 IN NS ns1.example.test."});
  CHECK(additional(ns) == std::vector<std::string>{"ns1.example.test. 300 IN A 192.0.2.53"});

  Reply a = ask(*s, make_query("WWW.Example.TEST.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(a) == 0);
  CHECK(aa(a));
  CHECK(question(a) == std::vector<std::string>{"WWW.Example.TEST. IN A"});
  CHECK(answer(a) == std::vector<std::string>{"WWW.Example.TEST. 300 IN A 192.0.2.10"});
  Reply mx = ask(*s, make_query("example.test.", LDNS_RR_TYPE_MX));
  CHECK(answer(mx) == std::vector<std::string>{"example.test. 300 IN MX 10 mail.example.test."});
}

TEST_CASE("zones: NXDOMAIN and NODATA carry the zone's own SOA", "[zones]") {
  ZoneDir d({{"example.test.zone", kExample}});
  auto s = snapshot_with(load_zone_dir(d.dir.string(), "svc.internal"));
  const std::string soa =
      "example.test. 60 IN SOA ns1.example.test. hostmaster.example.test. 7 3600 600 86400 60";

  Reply nx = ask(*s, make_query("nosuch.example.test.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(nx) == LDNS_RCODE_NXDOMAIN);
  CHECK(aa(nx));
  CHECK(answer(nx).empty());
  CHECK(authority(nx) == std::vector<std::string>{soa});

  Reply nodata = ask(*s, make_query("www.example.test.", LDNS_RR_TYPE_TXT));
  CHECK(rcode_of(nodata) == 0);
  CHECK(answer(nodata).empty());
  CHECK(authority(nodata) == std::vector<std::string>{soa});

  // b.example.test holds nothing but has a.b.example.test below it (RFC 8020).
  Reply ent = ask(*s, make_query("b.example.test.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(ent) == 0);
  CHECK(authority(ent) == std::vector<std::string>{soa});
}

TEST_CASE("zones: CNAME is the answer where the name has one", "[zones]") {
  ZoneDir d({{"example.test.zone", kExample}});
  auto s = snapshot_with(load_zone_dir(d.dir.string(), "svc.internal"));
  Reply r = ask(*s, make_query("alias.example.test.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(r) == 0);
  CHECK(aa(r));
  CHECK(answer(r) ==
        std::vector<std::string>{"alias.example.test. 300 IN CNAME www.example.test."});
}

TEST_CASE("zones: a delegation gets a referral with glue and AA clear", "[zones]") {
  ZoneDir d({{"example.test.zone", kExample}});
  auto s = snapshot_with(load_zone_dir(d.dir.string(), "svc.internal"));
  Reply r = ask(*s, make_query("host.sub.example.test.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(r) == 0);
  CHECK_FALSE(aa(r));
  CHECK(answer(r).empty());
  CHECK(authority(r) ==
        std::vector<std::string>{"sub.example.test. 300 IN NS ns.sub.example.test."});
  CHECK(additional(r) == std::vector<std::string>{"ns.sub.example.test. 300 IN A 192.0.2.99"});
}

TEST_CASE("zones: a bad file is reported with its line; the other files load", "[zones]") {
  ZoneDir d({{"bad.zone", kBad}, {"example.test.zone", kExample}, {"other.zone", kOther}});
  ZoneLoadResult r = load_zone_dir(d.dir.string(), "svc.internal");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find((d.dir / "bad.zone").string() + ":4: ") == 0);
  CHECK(r.errors[0].find("rdata") != std::string::npos);  // ldns's own words
  CHECK(r.loaded.size() == 2);
  auto s = snapshot_with(r);
  CHECK(rcode_of(ask(*s, make_query("ok.bad.test.", LDNS_RR_TYPE_A))) == LDNS_RCODE_REFUSED);
  CHECK(answer(ask(*s, make_query("www.example.test.", LDNS_RR_TYPE_AAAA))) ==
        std::vector<std::string>{"www.example.test. 300 IN AAAA 2001:db8::10"});
  CHECK(answer(ask(*s, make_query("ns.other.test.", LDNS_RR_TYPE_A))) ==
        std::vector<std::string>{"ns.other.test. 120 IN A 198.51.100.1"});
  Reply nx = ask(*s, make_query("x.other.test.", LDNS_RR_TYPE_A));
  CHECK(rcode_of(nx) == LDNS_RCODE_NXDOMAIN);
  CHECK(authority(nx) ==
        std::vector<std::string>{"other.test. 30 IN SOA ns.other.test. h.other.test. 1 2 3 4 30"});
}

TEST_CASE("zones: records inside the registry's domain fill what the registry lacks", "[zones]") {
  ZoneDir d({{"extras.zone", kExtras}, {"example.test.zone", kExample}});
  ZoneLoadResult r = load_zone_dir(d.dir.string(), "svc.internal");
  REQUIRE(r.errors.empty());
  auto s = snapshot_with(r);
  Reply www = ask(*s, make_query("www.svc.internal.", LDNS_RR_TYPE_A));
  CHECK(aa(www));
  CHECK(answer(www) == std::vector<std::string>{"www.svc.internal. 60 IN A 10.1.1.1"});
  CHECK(answer(ask(*s, make_query("svc.internal.", LDNS_RR_TYPE_MX))) ==
        std::vector<std::string>{"svc.internal. 60 IN MX 10 mail.svc.internal."});
  // The registry's apex NS and its instances win over the file.
  CHECK(answer(ask(*s, make_query("svc.internal.", LDNS_RR_TYPE_NS))) ==
        std::vector<std::string>{"svc.internal. 5 IN NS ns.svc.internal."});
  auto payment = answer(ask(*s, make_query("payment.svc.internal.", LDNS_RR_TYPE_A)));
  CHECK(std::find(payment.begin(), payment.end(), "payment.svc.internal. 5 IN A 10.0.0.1") !=
        payment.end());
  CHECK(std::find(payment.begin(), payment.end(), "payment.svc.internal. 60 IN A 10.9.9.9") ==
        payment.end());
  // A name the file has, asked for a type it lacks: NODATA with the registry's SOA.
  Reply nodata = ask(*s, make_query("www.svc.internal.", LDNS_RR_TYPE_AAAA));
  CHECK(rcode_of(nodata) == 0);
  REQUIRE(authority(nodata).size() == 1);
  CHECK(authority(nodata)[0].find("svc.internal. 7 IN SOA ns.svc.internal.") == 0);
  CHECK(rcode_of(ask(*s, make_query("nosuch.svc.internal.", LDNS_RR_TYPE_A))) ==
        LDNS_RCODE_NXDOMAIN);
  CHECK(rcode_of(ask(*s, make_query("example.org.", LDNS_RR_TYPE_A))) == LDNS_RCODE_REFUSED);
}

TEST_CASE("zones: files that do not make a zone are refused with a reason", "[zones]") {
  ZoneDir d({{"a.zone", kOther},
             {"b.zone", kOther},
             {"c.zone", "$ORIGIN x.test.\nwww IN A 192.0.2.1\n"},
             {"d.zone", "$ORIGIN other2.test.\n@ IN SOA a b 1 2 3 4 5\nwww.x.test. IN A 1.1.1.1\n"},
             {"e.zone", "$INCLUDE /etc/hosts\n"},
             {"f.zone", "$ORIGIN f.test.\n@ IN SOA a b 1 2 3 4 5\n@ IN SOA a b 2 2 3 4 5\n"},
             {"ignored.txt", kBad}});
  ZoneLoadResult r = load_zone_dir(d.dir.string(), "svc.internal");
  REQUIRE(r.errors.size() == 5);
  CHECK(r.errors[0].find("b.zone: zone other.test. is already loaded from") != std::string::npos);
  CHECK(r.errors[1].find("c.zone: www.x.test. is outside the zone svc.internal.") !=
        std::string::npos);
  CHECK(r.errors[2].find("d.zone: www.x.test. is outside the zone other2.test.") !=
        std::string::npos);
  CHECK(r.errors[3].find("e.zone:1: ") != std::string::npos);
  CHECK(r.errors[4].find("f.zone:3: a second SOA record") != std::string::npos);
  CHECK(r.loaded.size() == 1);
}

TEST_CASE("zones: a missing directory is reported as such", "[zones]") {
  ZoneLoadResult r = load_zone_dir("/nonexistent/srvd-zones", "svc.internal");
  CHECK(r.dir_missing);
  REQUIRE(r.zones != nullptr);
  CHECK(r.zones->zones.empty());
}

}  // namespace srvd::dns::test
