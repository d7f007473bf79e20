// http_client.cpp -- a blocking HTTP/1.1 client of srvd's API for the client subcommands (libcurl).
#include "srvd/http_client.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace srvd {
namespace {

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

/// Once per process, before the first handle (curl_global_init is not thread-safe; the
/// client runs on one thread).
void global_init() {
  static const bool done = [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      std::fputs("srvd: libcurl failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)done;
}

// libcurl's C callbacks: nothing may throw across them (STYLE.md 18), so a failed append
// reports a short write, which makes curl fail the transfer.
size_t on_body(char* data, size_t size, size_t n, void* user) noexcept {
  try {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  } catch (...) {
    return 0;
  }
}

size_t on_header(char* data, size_t size, size_t n, void* user) noexcept {
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "x-srvd-index:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size() && match; ++i) {
      const char c = line[i];
      match = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == kName[i];
    }
    if (match) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && v.front() == ' ') {
        v.remove_prefix(1);
      }
      uint64_t index = 0;
      std::from_chars(v.data(), v.data() + v.size(), index);
      *static_cast<uint64_t*>(user) = index;
    }
  }
  return size * n;
}

}  // namespace

HttpClient::HttpClient(std::string host_port) : base_url_("http://" + std::move(host_port)) {
  global_init();
  curl_.reset(curl_easy_init());
  if (!curl_) {
    throw std::bad_alloc();  // curl_easy_init fails only when out of memory
  }
}

std::optional<HttpReply> HttpClient::call(std::string_view method, std::string_view path,
                                          const std::optional<std::string>& body, long timeout_ms,
                                          std::string& error) {
  CURL* c = curl_.get();
  HttpReply reply;
  const std::string url = base_url_ + std::string(path);
  const std::string verb(method);
  std::unique_ptr<curl_slist, SlistFree> headers;
  if (body) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
  }
  curl_easy_reset(c);  // keeps the connection cache; clears the previous call's options
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // the API is local; never through $http_proxy
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  } else if (method == "PUT") {
    // A PUT without a body still says Content-Length: 0, as the server expects.
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.index);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    error = "cannot reach srvd at " + base_url_ + ": " + curl_easy_strerror(rc);
    return std::nullopt;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

std::string url_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    // '.' is encoded too: curl would otherwise fold a "." or ".." segment into the path.
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace srvd
