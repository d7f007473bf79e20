// http_connection.cpp -- one HTTP/1.1 connection: http_parser in, routes, ordered responses out.
#include "api/http_connection.hpp"

#include <utility>

namespace srvd::api {
namespace {

/// A uv_write request and the bytes it sends, which libuv borrows until the callback.
struct WriteRequest {
  uv_write_t req{};
  std::string bytes;
};

/// out_ keeps its capacity between responses up to this; a larger buffer (a big GET) is freed.
constexpr size_t kKeptOutCapacity = 16 * 1024;

}  // namespace

HttpConnection::HttpConnection(std::shared_ptr<ConnectionHub> hub)
    : hub_(std::move(hub)), anchor_(std::make_shared<HttpConnection*>(this)) {}

int HttpConnection::accept(uv_stream_t* listener, std::shared_ptr<ConnectionHub> hub) {
  auto* c = new HttpConnection(std::move(hub));  // deleted by on_handle_closed()
  if (int rc = uv_tcp_init(listener->loop, &c->tcp_); rc != 0) {
    delete c;  // no handle was opened, so libuv holds nothing of it
    return rc;
  }
  c->tcp_.data = c;
  c->open_handles_ = 1;
  if (int rc = uv_timer_init(listener->loop, &c->timer_); rc != 0) {
    c->close();
    return rc;
  }
  c->timer_.data = c;
  c->open_handles_ = 2;
  c->hub_->open.insert(c);
  const auto tcp = reinterpret_cast<uv_stream_t*>(&c->tcp_);
  int rc = uv_accept(listener, tcp);
  if (rc == 0) {
    // Requests and responses are small and a client waits on each one: no Nagle delay.
    rc = uv_tcp_nodelay(&c->tcp_, 1);
  }
  if (rc == 0) {
    rc = c->start_reading();
  }
  if (rc != 0) {
    c->close();
    return rc;
  }
  c->arm_timer(ConnectionLimits::kIdleTimeoutMs);
  return 0;
}

int HttpConnection::start_reading() {
  if (reading_) {
    return 0;
  }
  const auto alloc = [](uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
    auto& slab = static_cast<HttpConnection*>(h->data)->hub_->read_buffer;
    *buf = uv_buf_init(slab.data(), static_cast<unsigned>(slab.size()));
  };
  const auto read = [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
    static_cast<HttpConnection*>(s->data)->on_read(nread, buf);
  };
  const int rc = uv_read_start(stream(), alloc, read);
  reading_ = rc == 0;
  return rc;
}

void HttpConnection::close() {
  if (phase_ == Phase::closed) {
    return;
  }
  phase_ = Phase::closed;
  anchor_.reset();  // replies still pending from now on are dropped
  hub_->open.erase(this);
  const auto closed = [](uv_handle_t* h) noexcept {
    static_cast<HttpConnection*>(h->data)->on_handle_closed();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), closed);
  if (open_handles_ == 2) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), closed);
  }
}

void HttpConnection::on_handle_closed() {
  if (--open_handles_ == 0) {
    delete this;  // the last handle libuv held is gone
  }
}

void HttpConnection::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0 || phase_ == Phase::closed) {
    return;
  }
  if (nread < 0) {
    if (nread != UV_EOF || phase_ == Phase::lingering) {
      close();
      return;
    }
    // The client sent all it will; it may still wait for the answers (half-close).
    peer_eof_ = true;
    uv_read_stop(stream());
    reading_ = false;
    if (phase_ == Phase::serving) {
      phase_ = Phase::draining;  // an unfinished request is dropped
    }
    finish_if_done();
    return;
  }
  if (phase_ != Phase::serving) {
    return;  // after a final response, what the client still sends is discarded
  }
  arm_timer(ConnectionLimits::kIdleTimeoutMs);
  serve(buf->base, static_cast<size_t>(nread));
  apply_backpressure();
}

void HttpConnection::serve(const char* data, size_t len) {
  requests_.clear();
  const bool intact = reader_.read(data, len, requests_);
  for (auto& r : requests_) {
    if (phase_ != Phase::serving) {
      break;  // a request asked to close (RFC 9112 §9.6): nothing after it is answered
    }
    start_request(std::move(r));
  }
  requests_.clear();
  if (phase_ != Phase::serving) {
    return;
  }
  if (!intact) {
    // The stream can no longer be framed, so answer once and close (STYLE.md §27).
    const uint64_t seq = push_slot(Framing{.keep_alive = false, .http10 = false, .head = false});
    phase_ = Phase::draining;
    complete(seq, error_response(reader_.failure_status(), reader_.failure_message(),
                                 hub_->routes.registry.index()));
    return;
  }
  // Sent only when no earlier response is still owed, so responses stay in order; a client
  // that gets none sends its body after a timeout anyway (RFC 9110 §10.1.1).
  if (reader_.take_continue() && slots_.empty()) {
    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
    send_out();
  }
}

void HttpConnection::start_request(ReadRequest&& r) {
  const uint64_t seq = push_slot(r.framing);
  if (!r.framing.keep_alive) {
    phase_ = Phase::draining;
  }
  if (!r.bad_target.empty()) {
    complete(seq, error_response(400, r.bad_target, hub_->routes.registry.index()));
    return;
  }
  std::weak_ptr<HttpConnection*> anchor = anchor_;
  route(r.request, hub_->routes, [anchor, seq](Response response) {
    if (auto conn = anchor.lock()) {
      (*conn)->complete(seq, std::move(response));
    }
  });
}

uint64_t HttpConnection::push_slot(const Framing& framing) {
  slots_.push_back(Slot{framing, false, {}});
  return front_seq_ + slots_.size() - 1;
}

void HttpConnection::complete(uint64_t seq, Response response) {
  if (phase_ == Phase::closed || seq < front_seq_ || seq - front_seq_ >= slots_.size()) {
    return;
  }
  Slot& slot = slots_[seq - front_seq_];
  if (seq == front_seq_) {
    // Next in line (the usual case): its bytes go straight to the output, no copy of its own.
    serialize_to(out_, response, slot.framing);
    slots_.pop_front();
    ++front_seq_;
  } else {
    slot.bytes = serialize(response, slot.framing);
    slot.ready = true;
  }
  flush();
  apply_backpressure();
}

void HttpConnection::flush() {
  while (!slots_.empty() && slots_.front().ready) {
    out_ += slots_.front().bytes;
    slots_.pop_front();
    ++front_seq_;
  }
  send_out();
  finish_if_done();
}

void HttpConnection::send_out() {
  if (out_.empty() || phase_ == Phase::closed) {
    return;
  }
  size_t sent = 0;
  if (writes_in_flight_ == 0) {
    // Usually the socket takes it all at once: no write request, no callback, no copy. Never
    // while a uv_write is pending, or these bytes would overtake that one's.
    uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    const int n = uv_try_write(stream(), &buf, 1);
    if (n < 0 && n != UV_EAGAIN) {
      close();  // the peer is gone (EPIPE, ECONNRESET): as a failed uv_write would
      return;
    }
    sent = n > 0 ? static_cast<size_t>(n) : 0;
  }
  if (sent < out_.size()) {
    // The socket buffer is full (a large response, a slow reader): libuv queues the rest and
    // writes it as the socket drains; it borrows the bytes until the callback.
    auto* w = new WriteRequest{};  // deleted in the write callback
    w->bytes.assign(out_, sent);
    w->req.data = w;
    uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
    const auto written = [](uv_write_t* req, int status) noexcept {
      // libuv runs this before the handle's close callback, even when cancelled, so the
      // connection is still alive here.
      auto* conn = static_cast<HttpConnection*>(req->handle->data);
      delete static_cast<WriteRequest*>(req->data);
      conn->on_written(status);
    };
    if (uv_write(&w->req, stream(), &buf, 1, written) != 0) {
      delete w;
      close();
      return;
    }
    ++writes_in_flight_;
  }
  out_.clear();
  if (out_.capacity() > kKeptOutCapacity) {
    std::string().swap(out_);
  }
}

void HttpConnection::on_written(int status) {
  --writes_in_flight_;
  if (phase_ == Phase::closed) {
    return;
  }
  if (status < 0) {
    close();
    return;
  }
  apply_backpressure();
  finish_if_done();
}

void HttpConnection::finish_if_done() {
  if (phase_ != Phase::draining || !slots_.empty() || writes_in_flight_ > 0) {
    return;
  }
  if (peer_eof_) {
    close();
    return;
  }
  // Half-close, then read and discard what the client is still sending: closing with unread
  // data makes the kernel send a RST, which can destroy the response before the client reads it.
  phase_ = Phase::lingering;
  const auto shut = [](uv_shutdown_t* req, int status) noexcept {
    if (status < 0 && status != UV_ECANCELED) {
      static_cast<HttpConnection*>(req->handle->data)->close();
    }
  };
  if (uv_shutdown(&shutdown_, stream(), shut) != 0 || start_reading() != 0) {
    close();
    return;
  }
  arm_timer(ConnectionLimits::kLingerMs);
}

void HttpConnection::apply_backpressure() {
  if (phase_ != Phase::serving) {
    return;
  }
  const bool full = slots_.size() >= ConnectionLimits::kMaxQueuedResponses ||
                    uv_stream_get_write_queue_size(stream()) >= ConnectionLimits::kMaxUnsentBytes;
  if (full && reading_) {
    uv_read_stop(stream());
    reading_ = false;
  } else if (!full && !reading_ && !peer_eof_ && start_reading() != 0) {
    close();
  }
}

void HttpConnection::arm_timer(uint64_t ms) {
  deadline_ms_ = uv_now(tcp_.loop) + ms;
  // Every read pushes the idle deadline back: restarting the timer each time cost a removal
  // from and an insertion into libuv's timer heap (1.5% of the control loop at 25k writes/s
  // over 256 connections). A timer that fires no later than the new deadline is left alone;
  // on_timer() sees the deadline moved and waits out the rest.
  const bool active = uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_)) != 0;
  if (active && uv_now(tcp_.loop) + uv_timer_get_due_in(&timer_) <= deadline_ms_) {
    return;
  }
  start_timer(ms);
}

void HttpConnection::start_timer(uint64_t ms) {
  const auto fired = [](uv_timer_t* t) noexcept {
    static_cast<HttpConnection*>(t->data)->on_timer();
  };
  uv_timer_start(&timer_, fired, ms, 0);  // only fails without a callback
}

void HttpConnection::on_timer() {
  if (phase_ == Phase::closed) {
    return;
  }
  if (const uint64_t now = uv_now(tcp_.loop); now < deadline_ms_) {
    start_timer(deadline_ms_ - now);  // moved since it was started
    return;
  }
  // A response waiting for DNS is the server's delay, not the client's: keep the connection.
  for (const Slot& slot : slots_) {
    if (!slot.ready) {
      arm_timer(ConnectionLimits::kIdleTimeoutMs);
      return;
    }
  }
  close();  // idle, lingering too long, or not reading its responses
}

}  // namespace srvd::api
