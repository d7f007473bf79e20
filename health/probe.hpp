// probe.hpp -- one run of a check: a TCP connection, and for HTTP one request and a status line.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "registry/health.hpp"

namespace srvd::health {

/// Told the verdict of a probe; implemented by Check.
class ProbeOwner {
 public:
  virtual void probe_done(registry::CheckResult result) = 0;

 protected:
  ~ProbeOwner() = default;
};

/// Connects, sends `request` if not empty (HTTP) and reads up to the end of the status line,
/// then reports once to its owner and closes. Heap-allocated and deleted only from its close
/// callback (STYLE §8): a uv_tcp_t cannot be reused once closed, so this is the one allocation
/// a run makes. The deadline is the owner's: abort() ends the probe without calling back.
class Probe {
 public:
  /// Starts a probe that will report to `owner` exactly once unless aborted. Returns null and
  /// sets `error` ("connect: ...") when it could not start; nothing is reported then.
  /// `request` is shared, not copied: it must outlive the pending write, whatever the owner does.
  static Probe* start(uv_loop_t* loop, const sockaddr_storage& address,
                      std::shared_ptr<const std::string> request, ProbeOwner& owner,
                      std::string& error);
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  /// Closes without reporting; the object deletes itself once libuv is done with it.
  void abort();

 private:
  Probe(std::shared_ptr<const std::string> request, ProbeOwner& owner);
  ~Probe() = default;
  static void on_connect(uv_connect_t* req, int status) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  void finish(registry::CheckResult result);
  void close();

  ProbeOwner* owner_;  ///< null once aborted or finished
  std::shared_ptr<const std::string> request_;
  uv_tcp_t tcp_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
  bool closing_ = false;
  size_t received_ = 0;
  /// The status line is short (RFC 9112 §4); more than this without a CRLF is not HTTP.
  std::array<char, 256> line_{};
};

}  // namespace srvd::health
