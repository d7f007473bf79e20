// test_api_support.hpp -- shared by the api unit tests: a Visibility driven by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "api/http_server.hpp"

namespace srvd::api::test {

/// A Visibility the test advances by hand, to show when a write's response may leave.
struct FakeVisibility : Visibility {
  uint64_t visible = 0;
  std::vector<std::pair<uint64_t, std::function<void()>>> waiting;
  std::vector<uint64_t> asked;

  void when_visible(uint64_t index, std::function<void()> then) override {
    asked.push_back(index);
    if (index <= visible) {
      then();
    } else {
      waiting.emplace_back(index, std::move(then));
    }
  }
  void advance(uint64_t to) {
    visible = to;
    auto pending = std::move(waiting);
    waiting.clear();
    for (auto& [index, then] : pending) {
      if (index <= visible) {
        then();
      } else {
        waiting.emplace_back(index, std::move(then));
      }
    }
  }
};

}  // namespace srvd::api::test
