// upstream_tcp.hpp -- one query asked again over TCP after the upstream's UDP answer was cut.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace srvd::dns {

class Forwarder;

/// Connects to an upstream, sends one length-prefixed query (RFC 1035 §4.2.2) and reads one
/// answer, which it hands to Forwarder::tcp_done (an empty span on any failure). Heap-
/// allocated, deleted only from its close callback (STYLE §8); non-copyable, non-movable. Its
/// deadline is the forwarder's: abort() ends it without calling back. Rare by nature (only
/// truncated answers to TCP clients), so it allocates per use.
class UpstreamTcp {
 public:
  UpstreamTcp(Forwarder& forwarder, size_t slot, uint32_t generation);
  UpstreamTcp(const UpstreamTcp&) = delete;
  UpstreamTcp& operator=(const UpstreamTcp&) = delete;

  /// Starts connecting to `upstream` with `query` (copied). Returns false if it could not
  /// start; the object then deletes itself without calling back.
  bool start(uv_loop_t* loop, const sockaddr_storage& upstream, std::span<const uint8_t> query);
  /// Closes without calling back; the object deletes itself once libuv is done.
  void abort();

 private:
  ~UpstreamTcp() = default;
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  void finish(std::span<const uint8_t> answer);
  void close();

  Forwarder* forwarder_;  ///< null once aborted or finished
  size_t slot_;
  uint32_t generation_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
  bool closing_ = false;
  std::vector<uint8_t> out_;
  std::vector<uint8_t> in_;
  std::array<uint8_t, 4096> chunk_{};
};

}  // namespace srvd::dns
