// etcd_client.hpp -- a small blocking client for etcd's v3 JSON gateway, over libcurl.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef void CURL;
typedef void CURLM;
struct curl_slist;

namespace srvd::store {

/// What one gateway call gave back.
struct EtcdReply {
  nlohmann::json body;       ///< the response object (a stream message's "result" unwrapped)
  std::string error;         ///< empty on success; else why (curl's or etcd's words)
  bool unreachable = false;  ///< etcd could not be asked or did not answer (not a refusal)
  /// The request reached etcd but no answer came back (a timeout, a reset, no quorum): etcd
  /// may still apply it, e.g. when its members regain quorum. Writes can only be reported so.
  bool ambiguous = false;
  bool ok() const { return error.empty(); }

  static EtcdReply failure(std::string why, bool unreachable = false, bool ambiguous = false) {
    EtcdReply r;
    r.error = std::move(why);
    r.unreachable = unreachable;
    r.ambiguous = ambiguous;
    return r;
  }
  static EtcdReply success(nlohmann::json body) {
    EtcdReply r;
    r.body = std::move(body);
    return r;
  }
};

/// One key-value pair as the gateway returns it, key and value decoded.
struct EtcdKv {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
  int64_t lease = 0;  ///< 0: none
};

/// "http://a:2379, http://b:2379", for messages.
std::string join_endpoints(const std::vector<std::string>& endpoints);

/// An int64 field, which the gateway writes as a JSON string and omits when zero.
int64_t json_int(const nlohmann::json& object, std::string_view field);
/// A "kv" object of a range response or watch event; nullopt if its base64 does not decode.
std::optional<EtcdKv> kv_from_json(const nlohmann::json& kv);

/// Blocking calls, meant for one background thread (the handles are not shared). Endpoints
/// are tried in turn when one refuses the connection; the one that worked is asked first
/// next time. Every call is bounded by `timeout_ms` and ends early once `*stop` is true, so a
/// thread blocked here can be joined promptly.
class EtcdClient {
 public:
  EtcdClient(std::vector<std::string> endpoints, uint32_t timeout_ms,
             const std::atomic<bool>* stop = nullptr);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  /// POSTs `request` to `path` ("/v3/kv/put"), returns the parsed answer or the error.
  EtcdReply call(std::string_view path, const nlohmann::json& request);

  /// A streaming call (the watch): each message is handed to `on_message` as it arrives;
  /// returning false ends the stream. The first message must come within the timeout (a
  /// server that accepts connections but never answers counts as unreachable); after that it
  /// runs until the server ends it, `keep_going()` returns false (asked about every 50 ms),
  /// or stop. The reply's error says why it ended ("" when on_message ended it).
  EtcdReply stream(std::string_view path, const nlohmann::json& request,
                   const std::function<bool(const nlohmann::json&)>& on_message,
                   const std::function<bool()>& keep_going);

  // The calls srvd makes, named; keys and values in clear (encoded here).
  EtcdReply put(std::string_view key, std::string_view value, int64_t lease = 0);
  /// Every key in [key, range_end) (range_end empty: just `key`).
  EtcdReply range(std::string_view key, std::string_view range_end = {});
  EtcdReply delete_range(std::string_view key, std::string_view range_end = {});
  EtcdReply grant(int64_t ttl_s);
  /// Renews `lease` once; the reply's "TTL" is its granted TTL, absent if it has expired.
  EtcdReply keepalive(int64_t lease);
  EtcdReply revoke(int64_t lease);

  uint32_t timeout_ms() const { return timeout_ms_; }

 public:
  struct Transfer;  ///< one request's state, seen by the curl callbacks

 private:
  std::vector<std::string> endpoints_;
  uint32_t timeout_ms_;
  const std::atomic<bool>* stop_;
  size_t current_ = 0;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
  curl_slist* json_header_ = nullptr;

  /// keep_going nullptr: a unary call, bounded by the timeout as a whole.
  EtcdReply perform(std::string_view path, const std::string& body, Transfer& transfer,
                    const std::function<bool()>* keep_going);
  bool stopped() const { return stop_ != nullptr && stop_->load(); }
};

}  // namespace srvd::store
