// test_store_etcd_client.cpp -- the gateway client and its helpers: base64, keys, streams, calls.
#include <catch2/catch.hpp>

#include "etcd_process.hpp"
#include "store/etcd_base64.hpp"
#include "store/etcd_client.hpp"
#include "store/etcd_json_stream.hpp"
#include "store/etcd_keys.hpp"

using namespace srvd::store;

TEST_CASE("etcd base64: round trips and RFC 4648 vectors", "[etcd]") {
  // RFC 4648 §10.
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == std::optional<std::string>("foob"));
  const std::string binary("\x00\xff\x10/+", 5);
  CHECK(base64_decode(base64_encode(binary)) == std::optional<std::string>(binary));
  CHECK_FALSE(base64_decode("Zm9").has_value());
  CHECK_FALSE(base64_decode("Zm!v").has_value());
  CHECK_FALSE(base64_decode("Z=9v").has_value());
}

TEST_CASE("etcd keys: layout, parsing, prefix range end", "[etcd]") {
  CHECK(instance_key("/srvd", "web", "a1") == "/srvd/web/a1");
  CHECK(parse_instance_key("/srvd", "/srvd/web/a1") ==
        std::pair<std::string, std::string>{"web", "a1"});
  CHECK_FALSE(parse_instance_key("/srvd", "/srvd/web").has_value());
  CHECK_FALSE(parse_instance_key("/srvd", "/srvd/web/a1/x").has_value());
  CHECK_FALSE(parse_instance_key("/srvd", "/srvd/Web/a1").has_value());
  CHECK_FALSE(parse_instance_key("/srvd", "/srvd/we_b/a1").has_value());
  CHECK_FALSE(parse_instance_key("/srvd", "/srvdx/web/a1").has_value());
  CHECK(prefix_range_end("/x/") == "/x0");
  CHECK(prefix_range_end(std::string("a\xff", 2)) == "b");
  // The leader key sorts outside the instances' range.
  const std::string start = instances_range_start("/srvd");
  const std::string leader = leader_key("/srvd");
  CHECK((leader < start || leader >= prefix_range_end(start)));
}

TEST_CASE("etcd json stream: objects split across chunks and several per chunk", "[etcd]") {
  JsonObjectStream s;
  CHECK(s.feed(R"({"result":{"a":"x}{\"y",)").empty());
  auto two = s.feed("\"n\":[1,{}]}}\n{\"result\":{}}\n{\"res");
  REQUIRE(two.size() == 2);
  CHECK(two[0] == R"({"result":{"a":"x}{\"y","n":[1,{}]}})");
  CHECK(two[1] == R"({"result":{}})");
  CHECK(s.buffered() > 0);
  auto last = s.feed("ult\":1}");
  REQUIRE(last.size() == 1);
  CHECK(last[0] == R"({"result":1})");
}

TEST_CASE("etcd client: put, range, delete and leases against a real etcd", "[etcd]") {
  if (!srvd::test::EtcdProcess::installed()) {
    WARN("/usr/bin/etcd is missing: skipped");
    return;
  }
  srvd::test::EtcdProcess etcd;
  REQUIRE(etcd.ready());
  EtcdClient client({"http://127.0.0.1:1", etcd.endpoint()}, 1000);  // first one refuses

  REQUIRE(client.put("/t/a/1", "one").ok());
  REQUIRE(client.put("/t/a/2", "two").ok());
  REQUIRE(client.put("/t0", "outside").ok());
  auto range = client.range("/t/", prefix_range_end("/t/"));
  REQUIRE(range.ok());
  REQUIRE(range.body["kvs"].size() == 2);
  auto kv = kv_from_json(range.body["kvs"][1]);
  REQUIRE(kv);
  CHECK(kv->key == "/t/a/2");
  CHECK(kv->value == "two");
  CHECK(kv->mod_revision > 0);
  CHECK(json_int(range.body["header"], "revision") >= kv->mod_revision);

  REQUIRE(client.delete_range("/t/a/1").ok());
  CHECK(client.range("/t/a/1").body.value("kvs", nlohmann::json::array()).empty());

  auto grant = client.grant(5);
  REQUIRE(grant.ok());
  const int64_t lease = json_int(grant.body, "ID");
  CHECK(json_int(grant.body, "TTL") == 5);
  REQUIRE(client.put("/t/a/3", "leased", lease).ok());
  CHECK(kv_from_json(client.range("/t/a/3").body["kvs"][0])->lease == lease);
  auto alive = client.keepalive(lease);
  REQUIRE(alive.ok());
  CHECK(json_int(alive.body, "TTL") == 5);
  REQUIRE(client.revoke(lease).ok());
  CHECK(client.range("/t/a/3").body.value("kvs", nlohmann::json::array()).empty());
  auto gone = client.keepalive(lease);
  REQUIRE(gone.ok());
  CHECK(json_int(gone.body, "TTL") == 0);  // expired or revoked: no TTL

  // etcd's refusals are errors, not unreachability.
  auto refused = client.put("/t/a/4", "x", 12345);
  CHECK_FALSE(refused.ok());
  CHECK_FALSE(refused.unreachable);
  CHECK(refused.error.find("lease not found") != std::string::npos);

  etcd.stop();
  auto down = client.range("/t/");
  CHECK_FALSE(down.ok());
  CHECK(down.unreachable);
}
