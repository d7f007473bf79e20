// etcd_json_stream.cpp -- splits a byte stream into top-level JSON objects.
#include "store/etcd_json_stream.hpp"

namespace srvd::store {

std::vector<std::string> JsonObjectStream::feed(std::string_view chunk) {
  std::vector<std::string> done;
  for (const char c : chunk) {
    if (depth_ == 0 && c != '{') {
      continue;  // separators between messages
    }
    partial_ += c;
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        done.push_back(std::move(partial_));
        partial_.clear();
      }
    }
  }
  return done;
}

}  // namespace srvd::store
