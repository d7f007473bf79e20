// etcd_json_stream.hpp -- splits a byte stream into the JSON objects etcd's gateway streams.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace srvd::store {

/// The gateway answers a streaming call (watch, lease keepalive) with one top-level JSON
/// object per message, `{"result":{...}}`, and curl hands them over in arbitrary chunks: an
/// object may be split anywhere, several may share a chunk. feed() returns the objects that
/// the chunk completes, as text for nlohmann::json::parse; bytes between objects (newlines)
/// are dropped. Braces inside strings, escaped quotes included, do not count.
class JsonObjectStream {
 public:
  std::vector<std::string> feed(std::string_view chunk);
  /// Bytes of an object not yet complete.
  size_t buffered() const { return partial_.size(); }

 private:
  std::string partial_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace srvd::store
