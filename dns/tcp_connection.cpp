// tcp_connection.cpp -- RFC 7766 DNS over TCP: length framing, in-order pipelined answers.
#include "dns/tcp_connection.hpp"

#include "dns/forwarder.hpp"
#include "dns/tcp_listener.hpp"

namespace srvd::dns {

namespace {
uv_handle_t* as_handle(auto* h) { return reinterpret_cast<uv_handle_t*>(h); }
uv_stream_t* as_stream(uv_tcp_t* h) { return reinterpret_cast<uv_stream_t*>(h); }
}  // namespace

TcpConnection::TcpConnection(LoopState& state, TcpListener& listener)
    : state_(state), listener_(listener) {
  tcp_.data = this;
  timer_.data = this;
  write_req_.data = this;
}

void TcpConnection::start(uv_stream_t* server, bool reject) {
  if (uv_tcp_init(&state_.loop, &tcp_) != 0) {
    listener_.closing(this);
    listener_.unlink(this);  // nothing for libuv to close: only the object to drop
    delete this;
    return;
  }
  ++open_handles_;
  if (uv_timer_init(&state_.loop, &timer_) == 0) {
    ++open_handles_;
  }
  // Accept even when rejecting: that takes the connection off the backlog so it can be closed.
  if (uv_accept(server, as_stream(&tcp_)) != 0 || reject || open_handles_ != 2) {
    close();
    return;
  }
  // Answers are small and each one is awaited: without TCP_NODELAY, Nagle holds an answer
  // while an earlier one is unacknowledged, and the client's delayed ACK makes that wait
  // long. Failure only costs latency, so it is not fatal.
  uv_tcp_nodelay(&tcp_, 1);
  if (uv_read_start(as_stream(&tcp_), on_alloc, on_read) != 0 ||
      uv_timer_start(&timer_, on_timeout, state_.options.tcp_idle_timeout_ms, 0) != 0) {
    close();
  }
}

void TcpConnection::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  listener_.closing(this);
  if (forwards_ > 0 && state_.forwarder != nullptr) {
    state_.forwarder->forget(this);  // their answers now go nowhere
  }
  // Closing the stream cancels a write in flight; libuv runs its callback before on_close,
  // so `inflight_` stays alive for as long as libuv may read it.
  if (open_handles_ >= 1) {
    uv_close(as_handle(&tcp_), on_close);
  }
  if (open_handles_ == 2) {
    uv_close(as_handle(&timer_), on_close);
  }
}

void TcpConnection::on_close(uv_handle_t* h) noexcept {
  auto* self = static_cast<TcpConnection*>(h->data);
  if (--self->open_handles_ == 0) {
    self->listener_.unlink(self);
    delete self;
  }
}

void TcpConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<TcpConnection*>(h->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->state_.slab.data()),
                     static_cast<unsigned>(self->state_.slab.size()));
}

void TcpConnection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) noexcept {
  static_cast<TcpConnection*>(s->data)->read(nread);
}

void TcpConnection::on_write(uv_write_t* req, int status) noexcept {
  static_cast<TcpConnection*>(req->data)->written(status);
}

void TcpConnection::on_timeout(uv_timer_t* t) noexcept {
  auto* self = static_cast<TcpConnection*>(t->data);
  ++self->state_.tcp_timeouts;  // RFC 7766 §6.2.3: idle connections are closed by the server
  self->close();
}

void TcpConnection::read(ssize_t nread) {
  if (closing_ || nread == 0) {
    return;  // 0 is EAGAIN: nothing read, nothing to do
  }
  if (nread < 0) {  // EOF or reset: finish the answers already owed, then close
    peer_done_ = true;
    uv_read_stop(as_stream(&tcp_));
    finish_if_done();
    return;
  }
  uv_timer_start(&timer_, on_timeout, state_.options.tcp_idle_timeout_ms, 0);
  std::span<const uint8_t> data(state_.slab.data(), static_cast<size_t>(nread));
  if (partial_.empty()) {
    // Common case: whole messages in this read, answered straight from the slab.
    size_t used = consume(data);
    partial_.assign(data.begin() + static_cast<ptrdiff_t>(used), data.end());
  } else {
    partial_.insert(partial_.end(), data.begin(), data.end());
    consume_partial();
  }
  if (!closing_ && backlogged()) {
    // The client sends faster than it reads: stop reading (and answering) until our output
    // drains, so one connection cannot queue unbounded output.
    uv_read_stop(as_stream(&tcp_));
    paused_ = true;
  }
}

size_t TcpConnection::consume(std::span<const uint8_t> data) {
  size_t used = 0;
  // RFC 7766 §6.2.1.1: pipelined queries are answered, here in the order received.
  while (!closing_ && !backlogged() && data.size() - used >= 2) {
    size_t len = get16(data.data() + used);
    if (data.size() - used - 2 < len) {
      break;
    }
    answer(data.subspan(used + 2, len));
    used += 2 + len;
  }
  flush_batch();  // the loop's batch is shared: it leaves this call empty
  return used;
}

void TcpConnection::consume_partial() {
  size_t used = consume(partial_);
  partial_.erase(partial_.begin(), partial_.begin() + static_cast<ptrdiff_t>(used));
}

bool TcpConnection::backlogged() const { return pending_.size() > state_.options.max_tcp_backlog; }

void TcpConnection::answer(std::span<const uint8_t> message) {
  auto& batch = state_.tcp_batch;
  if (batch.size() - state_.tcp_batch_used < 2 + kMaxMessageSize) {
    flush_batch();  // keep room for the largest answer, so none is cut for lack of buffer
  }
  uint8_t* frame = batch.data() + state_.tcp_batch_used;
  size_t n = state_.answer_into(message, Transport::tcp, std::span(frame + 2, kMaxMessageSize));
  if (n == 0) {
    if (state_.ctx.forward && state_.forwarder != nullptr) {
      flush_batch();  // the forwarder may answer at once (SERVFAIL): after the earlier ones
      ++forwards_;    // first: that answer decrements it
      state_.forwarder->forward_tcp(message, this);
    }
    return;  // otherwise a response or a runt: not a query, nothing is owed
  }
  put16(frame, static_cast<uint16_t>(n));
  state_.tcp_batch_used += n + 2;
}

void TcpConnection::flush_batch() {
  size_t used = state_.tcp_batch_used;
  state_.tcp_batch_used = 0;
  if (used != 0 && !closing_) {
    send(std::span(state_.tcp_batch).first(used));
  }
}

void TcpConnection::send_response(size_t n) {
  if (forwards_ > 0) {
    --forwards_;
  }
  if (closing_) {
    return;
  }
  put16(state_.response.data(), static_cast<uint16_t>(n));
  send(std::span(state_.response).first(n + 2));
  finish_if_done();
}

void TcpConnection::send(std::span<const uint8_t> bytes) {
  if (!writing_ && pending_.empty()) {
    // Most answers go out at once; only the part the kernel refuses is copied.
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                               static_cast<unsigned>(bytes.size()));
    int rc = uv_try_write(as_stream(&tcp_), &buf, 1);
    if (rc < 0 && rc != UV_EAGAIN) {
      close();
      return;
    }
    bytes = bytes.subspan(rc > 0 ? static_cast<size_t>(rc) : 0);
    if (bytes.empty()) {
      return;
    }
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  flush();
}

void TcpConnection::flush() {
  if (writing_ || pending_.empty() || closing_) {
    return;
  }
  inflight_.swap(pending_);
  pending_.clear();
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(inflight_.data()),
                             static_cast<unsigned>(inflight_.size()));
  if (uv_write(&write_req_, as_stream(&tcp_), &buf, 1, on_write) != 0) {
    close();
    return;
  }
  writing_ = true;
}

void TcpConnection::written(int status) {
  writing_ = false;
  inflight_.clear();
  if (status < 0 || closing_) {
    close();
    return;
  }
  // The client is reading: that is activity too (RFC 7766 §6.2.3 idles count both ways).
  uv_timer_start(&timer_, on_timeout, state_.options.tcp_idle_timeout_ms, 0);
  flush();
  if (paused_ && !writing_) {
    // Output drained: answer the queries held back, then read again unless they refilled it.
    consume_partial();
    if (closing_ || backlogged()) {
      return;
    }
    paused_ = false;
    if (!peer_done_ && uv_read_start(as_stream(&tcp_), on_alloc, on_read) != 0) {
      close();
      return;
    }
  }
  finish_if_done();
}

void TcpConnection::finish_if_done() {
  if (peer_done_ && !writing_ && pending_.empty() && forwards_ == 0) {
    close();
  }
}

}  // namespace srvd::dns
