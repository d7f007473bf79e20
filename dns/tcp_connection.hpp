// tcp_connection.hpp -- one DNS-over-TCP client: framing, pipelining, idle timeout (RFC 7766).
#pragma once

#include <uv.h>

#include <cstdint>
#include <span>
#include <vector>

#include "dns/loop_state.hpp"

namespace srvd::dns {

class TcpListener;

/// Owns a connected uv_tcp_t and its idle uv_timer_t. Heap-allocated by the listener and
/// deleted only from the last close callback of its two handles (STYLE §8); non-copyable,
/// non-movable. Its buffers are allocated per connection, never per query, and keep write
/// data alive until libuv's write callback.
class TcpConnection {
 public:
  TcpConnection(LoopState& state, TcpListener& listener);
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  /// Accepts the pending connection on `server` and starts reading; closes (and so deletes)
  /// itself on failure. With `reject` it accepts only to close at once (connection cap).
  void start(uv_stream_t* server, bool reject);
  /// Closes both handles; the object deletes itself once libuv is done with them.
  void close();
  /// Sends the `n`-byte response the forwarder left in the loop's response buffer: the answer
  /// to one forwarded query (RFC 7766 §7 allows it to overtake later answers).
  void send_response(size_t n);

  TcpConnection* prev = nullptr;  ///< listener's intrusive list
  TcpConnection* next = nullptr;

 private:
  ~TcpConnection() = default;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_timeout(uv_timer_t* t) noexcept;
  static void on_close(uv_handle_t* h) noexcept;

  void read(ssize_t nread);
  void written(int status);
  /// Answers every complete message in `data` in order; returns the bytes consumed.
  size_t consume(std::span<const uint8_t> data);
  /// consume() on the reassembly buffer, dropping what was answered.
  void consume_partial();
  /// More unsent output than the limit: stop reading and answering until it drains.
  bool backlogged() const;
  /// Encodes the answer to `message` into the loop's TCP batch (or hands it to the forwarder).
  void answer(std::span<const uint8_t> message);
  /// Sends what answer() batched (one write for every answer of a read).
  void flush_batch();
  void send(std::span<const uint8_t> bytes);
  void flush();
  void finish_if_done();

  LoopState& state_;
  TcpListener& listener_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_write_t write_req_{};
  int open_handles_ = 0;
  bool closing_ = false;
  bool peer_done_ = false;         ///< EOF or read error: answer what we have, then close
  bool writing_ = false;           ///< write_req_ in flight with `inflight_`
  bool paused_ = false;            ///< reading stopped until output drains
  size_t forwards_ = 0;            ///< queries at the forwarder (dns/forwarder.hpp), still owed
  std::vector<uint8_t> partial_;   ///< an incomplete message across reads (RFC 7766 §8)
  std::vector<uint8_t> pending_;   ///< output waiting for the write in flight
  std::vector<uint8_t> inflight_;  ///< output libuv is writing now
};

}  // namespace srvd::dns
