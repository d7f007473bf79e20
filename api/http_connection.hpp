// http_connection.hpp -- one accepted HTTP/1.1 connection: parse, route, answer in order, close.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/http_message.hpp"
#include "api/http_request_reader.hpp"
#include "api/routes.hpp"

namespace srvd::api {

class HttpConnection;

/// What one client may make the server hold beyond RequestReader's caps.
struct ConnectionLimits {
  /// Above these, stop reading until the client takes its responses (pipelining backpressure).
  static constexpr size_t kMaxQueuedResponses = 128;
  static constexpr size_t kMaxUnsentBytes = 1024 * 1024;
  static constexpr uint64_t kIdleTimeoutMs =
      60'000;                                   ///< a keep-alive connection with nothing to do
  static constexpr uint64_t kLingerMs = 2'000;  ///< draining a client after a final response
};

/// What the listener and its connections share. Held by shared_ptr so a connection still
/// closing after the server is gone has it.
struct ConnectionHub {
  explicit ConnectionHub(RouteContext r) : routes(std::move(r)) {}
  RouteContext routes;
  std::set<HttpConnection*> open;  ///< to close them all when the server stops
  /// One read buffer for every connection: the loop is single-threaded and each read is
  /// parsed before the next is allocated (as in libuv's own tests).
  std::array<char, 64 * 1024> read_buffer{};
};

/// Owns itself: created by accept(), deleted in the close callback of its last libuv handle.
/// Responses leave strictly in request order, each once it and all before it are ready, even
/// when a write's response waits for DNS visibility.
class HttpConnection {
 public:
  /// Accepts the pending connection on `listener` and starts serving it. Returns 0 or a
  /// libuv error code (nothing is left open on error).
  static int accept(uv_stream_t* listener, std::shared_ptr<ConnectionHub> hub);

  /// Closes now, dropping unsent responses. Idempotent; memory is freed on a later loop turn.
  void close();

  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

 private:
  /// A place in the response order; filled when the route replies.
  struct Slot {
    Framing framing;
    bool ready = false;
    std::string bytes;
  };
  enum class Phase { serving, draining, lingering, closed };

  explicit HttpConnection(std::shared_ptr<ConnectionHub> hub);
  ~HttpConnection() = default;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  int start_reading();
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void serve(const char* data, size_t len);
  void start_request(ReadRequest&& r);
  uint64_t push_slot(const Framing& framing);
  void complete(uint64_t seq, Response response);
  void flush();
  void send_out();
  void on_written(int status);
  void finish_if_done();
  void apply_backpressure();
  /// Sets the deadline (idle, linger) to `ms` from now; the timer may fire earlier, and
  /// on_timer() then waits out the rest.
  void arm_timer(uint64_t ms);
  void start_timer(uint64_t ms);
  void on_timer();
  void on_handle_closed();

  std::shared_ptr<ConnectionHub> hub_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uint64_t deadline_ms_ = 0;  ///< uv_now() at which on_timer() acts
  uv_shutdown_t shutdown_{};
  int open_handles_ = 0;
  RequestReader reader_;
  std::vector<ReadRequest> requests_;  ///< one read's requests; kept for its capacity
  std::deque<Slot> slots_;
  /// Response bytes in order, not yet handed to the socket; kept for its capacity, so a
  /// response costs no allocation of its own (shrunk after an unusually large one).
  std::string out_;
  uint64_t front_seq_ = 0;  ///< sequence number of slots_.front()
  size_t writes_in_flight_ = 0;
  Phase phase_ = Phase::serving;
  bool reading_ = false;
  bool peer_eof_ = false;
  /// Replies hold a weak_ptr to this: a Visibility callback that fires after the connection
  /// closed finds it expired and does nothing.
  std::shared_ptr<HttpConnection*> anchor_;
};

}  // namespace srvd::api
