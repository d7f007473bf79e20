// probe.hpp -- a check's TCP connection: one run (TCP) or several in turn (HTTP keep-alive).
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "health/response.hpp"
#include "registry/health.hpp"

namespace srvd::health {

/// Told what a probe saw; implemented by Check. Each call is made from a loop callback.
class ProbeOwner {
 public:
  /// The run's verdict. `reusable`: the probe is now idle and still the owner's, which keeps
  /// it for its next run or abort()s it; otherwise it has closed itself and is gone.
  virtual void probe_done(registry::CheckResult result, bool reusable) = 0;
  /// A kept connection turned out closed by the server before any byte of the response
  /// (EOF or reset on the write or the read): the probe has closed itself and nothing is
  /// reported; the owner runs the request again on a new connection, within the same run.
  virtual void probe_stale() = 0;
  /// An idle kept connection was closed by the server (or sent what nobody asked for): the
  /// probe has closed itself, so no dead socket lingers until the next run.
  virtual void probe_lost() = 0;

 protected:
  ~ProbeOwner() = default;
};

/// Connects, sends `request` if not empty (HTTP) and reads the response (ResponseReader);
/// for TCP the accepted connection is the verdict. After a complete HTTP/1.1 keep-alive
/// response the connection idles, still reading so that the server's close is seen at once,
/// and run_again() sends the next request on it. Heap-allocated and deleted only from its
/// close callback (STYLE §8). The deadline is the owner's: abort() ends the probe silently.
class Probe {
 public:
  /// Starts a probe on a new connection that will report to `owner` unless aborted. Returns
  /// null and sets `error` ("connect: ...") when it could not start; nothing is reported then.
  /// `request` is shared, not copied: it must outlive the pending write, whatever the owner does.
  static Probe* start(uv_loop_t* loop, const sockaddr_storage& address,
                      std::shared_ptr<const std::string> request, ProbeOwner& owner,
                      std::string& error);
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  /// Sends `request` again on this idle connection (after probe_done said reusable). False
  /// when it could not even be queued: the probe has then closed itself and reports nothing.
  bool run_again(std::shared_ptr<const std::string> request);
  /// Closes without reporting; the object deletes itself once libuv is done with it.
  void abort();
  /// The verdict of a response whose status line came but whose end did not.
  const std::optional<registry::CheckResult>& partial_verdict() const {
    return reader_.verdict();
  }

 private:
  Probe(std::shared_ptr<const std::string> request, ProbeOwner& owner);
  ~Probe() = default;
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  /// Sends request_ (try_write, else uv_write for the rest); 0 or a libuv error.
  int send();
  void on_response_bytes(ssize_t nread, const char* data);
  /// A send or read failed with `code` during a run.
  void fail(const char* what, int code);
  void finish(registry::CheckResult result, bool reusable);
  void close();

  ProbeOwner* owner_;  ///< null once aborted or closed
  std::shared_ptr<const std::string> request_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
  ResponseReader reader_;
  bool closing_ = false;
  bool writing_ = false;  ///< write_ is libuv's until on_write
  bool idle_ = false;    ///< between runs: reading only to notice the server's close
  bool reused_ = false;  ///< this run's request went out on a connection that served before
};

}  // namespace srvd::health
