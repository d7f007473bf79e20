// etcd_client.cpp -- blocking calls to etcd's v3 JSON gateway, over libcurl.
#include "store/etcd_client.hpp"

#include <curl/curl.h>

#include <charconv>
#include <chrono>
#include <mutex>

#include "store/etcd_base64.hpp"
#include "store/etcd_json_stream.hpp"

namespace srvd::store {

using nlohmann::json;

int64_t json_int(const json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end()) {
    return 0;
  }
  if (it->is_number_integer()) {
    return it->get<int64_t>();
  }
  if (!it->is_string()) {
    return 0;
  }
  const auto& text = it->get_ref<const std::string&>();
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::optional<EtcdKv> kv_from_json(const json& kv) {
  if (!kv.is_object()) {
    return std::nullopt;
  }
  EtcdKv out;
  const auto key = base64_decode(kv.value("key", ""));
  const auto value = base64_decode(kv.value("value", ""));
  if (!key || !value) {
    return std::nullopt;
  }
  out.key = *key;
  out.value = *value;
  out.mod_revision = json_int(kv, "mod_revision");
  out.lease = json_int(kv, "lease");
  return out;
}

namespace {

/// The gateway's error: a string ("error": "...") for unary calls, an object with "message"
/// inside a stream. Empty when the object is not an error.
std::string error_of(const json& object) {
  const auto it = object.find("error");
  if (it == object.end()) {
    return {};
  }
  if (it->is_string()) {
    return it->get<std::string>();
  }
  if (it->is_object()) {
    return it->value("message", "error");
  }
  return "error";
}

/// gRPC codes that mean the member could not serve the call (UNAVAILABLE, DEADLINE_EXCEEDED)
/// rather than refused it: for availability they count like a broken connection.
bool grpc_unavailable(const json& object) {
  const auto it = object.find("error");
  const json& holder = it != object.end() && it->is_object() ? *it : object;
  const int64_t code =
      holder.contains("grpc_code") ? json_int(holder, "grpc_code") : json_int(holder, "code");
  return code == 14 || code == 4;
}

bool is_connect_failure(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

}  // namespace

struct EtcdClient::Transfer {
  std::string body;  // a unary answer, whole
  JsonObjectStream splitter;
  const std::function<bool(const json&)>* on_message = nullptr;
  bool got_message = false;
  bool consumer_ended = false;
  std::string stream_error;
  bool stream_error_unavailable = false;
};

namespace {

size_t on_write(char* data, size_t size, size_t count, void* user) noexcept {
  auto& t = *static_cast<EtcdClient::Transfer*>(user);
  const size_t n = size * count;
  if (t.on_message == nullptr) {
    t.body.append(data, n);
    return n;
  }
  try {
    for (auto& text : t.splitter.feed({data, n})) {
      json message = json::parse(text);
      t.got_message = true;
      if (auto why = error_of(message); !why.empty()) {
        t.stream_error = std::move(why);
        t.stream_error_unavailable = grpc_unavailable(message);
        return 0;  // the stream is over
      }
      if (!(*t.on_message)(message.contains("result") ? message["result"] : message)) {
        t.consumer_ended = true;
        return 0;
      }
    }
  } catch (const std::exception& e) {
    t.stream_error = std::string("bad message from etcd: ") + e.what();
    return 0;  // no exception may cross into libcurl
  }
  return n;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, uint32_t timeout_ms,
                       const std::atomic<bool>* stop)
    : endpoints_(std::move(endpoints)), timeout_ms_(timeout_ms), stop_(stop) {
  // curl_global_init is not thread-safe everywhere; the first client runs it, once.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  easy_ = curl_easy_init();
  multi_ = curl_multi_init();
  json_header_ = curl_slist_append(nullptr, "Content-Type: application/json");
  // No "Expect: 100-continue" on large bodies: it costs a round trip and buys nothing here.
  json_header_ = curl_slist_append(json_header_, "Expect:");
}

EtcdClient::~EtcdClient() {
  curl_slist_free_all(json_header_);
  curl_easy_cleanup(easy_);
  curl_multi_cleanup(multi_);
}

std::string join_endpoints(const std::vector<std::string>& endpoints) {
  std::string text;
  for (const auto& e : endpoints) {
    text += text.empty() ? "" : ", ";
    text += e;
  }
  return text;
}

EtcdReply EtcdClient::call(std::string_view path, const json& request) {
  Transfer transfer;
  return perform(path, request.dump(), transfer, nullptr);
}

EtcdReply EtcdClient::stream(std::string_view path, const json& request,
                             const std::function<bool(const json&)>& on_message,
                             const std::function<bool()>& keep_going) {
  Transfer transfer;
  transfer.on_message = &on_message;
  const std::string body = request.dump();
  const auto started = std::chrono::steady_clock::now();
  const auto keep = [&] {
    if (!transfer.got_message &&
        std::chrono::steady_clock::now() - started > std::chrono::milliseconds(timeout_ms_)) {
      return false;
    }
    return keep_going();
  };
  const std::function<bool()> keep_fn = keep;
  EtcdReply reply = perform(path, body, transfer, &keep_fn);
  if (transfer.consumer_ended) {
    return {};
  }
  if (!transfer.stream_error.empty()) {
    return EtcdReply::failure(transfer.stream_error, transfer.stream_error_unavailable);
  }
  if (reply.ok()) {
    reply.error = "stream ended by etcd";
    reply.unreachable = true;
  } else if (!transfer.got_message && reply.error == "cancelled") {
    reply.error = "no answer within " + std::to_string(timeout_ms_) + " ms";
    reply.unreachable = true;
  }
  return reply;
}

EtcdReply EtcdClient::perform(std::string_view path, const std::string& body, Transfer& transfer,
                              const std::function<bool()>* keep_going) {
  std::string last_error = "no endpoints";
  for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const std::string url = endpoints_[current_] + std::string(path);
    transfer.body.clear();
    char errbuf[CURL_ERROR_SIZE] = "";
    // reset keeps the live connections (they belong to multi_): one TCP connection per thread.
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, json_header_);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms_));
    // A stream lasts as long as it is wanted; its liveness is judged by keep_going.
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, keep_going ? 0L : static_cast<long>(timeout_ms_));

    curl_multi_add_handle(multi_, easy_);
    CURLcode code = CURLE_OK;
    bool finished = false;
    bool cancelled = false;
    while (!finished) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg == CURLMSG_DONE) {
          code = msg->data.result;
          finished = true;
        }
      }
      if (!finished && (stopped() || (keep_going != nullptr && !(*keep_going)()))) {
        cancelled = true;
        break;
      }
      if (!finished) {
        curl_multi_poll(multi_, nullptr, 0, 50, nullptr);
      }
    }
    curl_multi_remove_handle(multi_, easy_);
    if (cancelled) {
      return EtcdReply::failure("cancelled", true);
    }
    if (transfer.consumer_ended || !transfer.stream_error.empty()) {
      return {};  // stream() reports these
    }
    if (code != CURLE_OK) {
      last_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
      current_ = (current_ + 1) % endpoints_.size();  // ask another one next time
      if (is_connect_failure(code)) {
        continue;
      }
      return EtcdReply::failure(last_error, true, true);  // sent, but the answer never came
    }
    if (keep_going != nullptr) {
      return {};
    }
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    json parsed = json::parse(transfer.body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return EtcdReply::failure(
          "HTTP " + std::to_string(status) + " from " + url + ": " + transfer.body.substr(0, 200),
          status >= 500);
    }
    if (auto why = error_of(parsed); !why.empty()) {
      const bool unavailable = grpc_unavailable(parsed);  // e.g. "request timed out"
      return EtcdReply::failure(std::move(why), unavailable, unavailable);
    }
    if (parsed.contains("result") && parsed["result"].is_object()) {
      parsed = std::move(parsed["result"]);  // a one-message stream (lease keepalive)
    }
    return EtcdReply::success(std::move(parsed));
  }
  return EtcdReply::failure(last_error, true);
}

EtcdReply EtcdClient::put(std::string_view key, std::string_view value, int64_t lease) {
  json request{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) {
    request["lease"] = std::to_string(lease);
  }
  return call("/v3/kv/put", request);
}

EtcdReply EtcdClient::range(std::string_view key, std::string_view range_end) {
  json request{{"key", base64_encode(key)}};
  if (!range_end.empty()) {
    request["range_end"] = base64_encode(range_end);
  }
  return call("/v3/kv/range", request);
}

EtcdReply EtcdClient::delete_range(std::string_view key, std::string_view range_end) {
  json request{{"key", base64_encode(key)}};
  if (!range_end.empty()) {
    request["range_end"] = base64_encode(range_end);
  }
  return call("/v3/kv/deleterange", request);
}

EtcdReply EtcdClient::grant(int64_t ttl_s) {
  return call("/v3/lease/grant", {{"TTL", std::to_string(ttl_s)}});
}

EtcdReply EtcdClient::keepalive(int64_t lease) {
  return call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
}

EtcdReply EtcdClient::revoke(int64_t lease) {
  return call("/v3/lease/revoke", {{"ID", std::to_string(lease)}});
}

}  // namespace srvd::store
