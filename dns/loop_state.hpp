// loop_state.hpp -- what one DNS loop's listeners share: snapshot, buffers, counters, limits.
#pragma once

#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "dns/handler.hpp"
#include "dns/server.hpp"
#include "dns/snapshot_board.hpp"
#include "dns/wire.hpp"
#include "registry/snapshot.hpp"

namespace srvd::dns {

class Forwarder;

/// Owned by one loop and touched only on its thread. The buffers are reused for every packet
/// (STYLE §10), so the hot path never allocates.
struct LoopState {
  LoopState(const LoopOptions& opts, SnapshotBoard& snapshots, size_t reader)
      : options(opts), board(snapshots), board_reader(reader) {
    ctx.edns_payload = opts.edns_payload;
    // Loops draw different SRV selections, and restarts do not replay them.
    ctx.sampler.reseed(uv_hrtime() ^ reinterpret_cast<uintptr_t>(this));
  }
  LoopState(const LoopState&) = delete;
  LoopState& operator=(const LoopState&) = delete;

  uv_loop_t loop{};
  LoopOptions options;
  /// Where queries find the latest snapshot (this loop is reader `board_reader`).
  SnapshotBoard& board;
  size_t board_reader;
  QueryContext ctx;
  uint64_t tcp_accepted = 0;
  uint64_t tcp_rejected = 0;  ///< connections closed at once because of the cap
  uint64_t tcp_timeouts = 0;
  /// Set by the loop when --upstream is given: takes the queries handle_query marks `forward`.
  Forwarder* forwarder = nullptr;
  /// alloc_cb hands out this slab for every TCP read and the forwarder's upstream answers:
  /// libuv calls alloc and read back to back on the loop thread, so one slab serves all
  /// handles. The UDP listener reads its batches into buffers of its own (udp_listener.hpp).
  std::array<uint8_t, 65536> slab{};
  /// Responses are encoded at offset 2, leaving room for the TCP length prefix (RFC 1035
  /// §4.2.2) so TCP can send prefix and message as one buffer.
  std::array<uint8_t, 2 + kMaxMessageSize> response{};

  /// TCP answers to the messages of one read, framed back to back and written with one
  /// syscall when the read is done (tcp_connection.cpp): a pipelining client sends many
  /// queries per segment, and one write each would cost a syscall and a segment per answer.
  /// Shared by the loop's connections like `slab`: a read callback fills and flushes it
  /// before returning. Room for one maximal answer beyond a 64 KiB flush threshold.
  std::array<uint8_t, 65536 + 2 + kMaxMessageSize> tcp_batch{};
  size_t tcp_batch_used = 0;

  std::span<uint8_t> response_body() { return std::span(response).subspan(2); }

  /// The latest snapshot, or null before the first one (queries are then dropped). Read it
  /// after the query arrived, so a query sent after a publish returned sees that publish.
  const registry::Snapshot* snapshot() noexcept { return board.read(board_reader); }

  /// Runs the pipeline on `in` with the latest snapshot; 0 when there is nothing to send.
  size_t answer(std::span<const uint8_t> in, Transport transport) {
    return answer_into(in, transport, response_body());
  }
  /// The same, encoding into `out` (at most `out.size()` bytes).
  size_t answer_into(std::span<const uint8_t> in, Transport transport, std::span<uint8_t> out) {
    const registry::Snapshot* s = snapshot();
    if (s == nullptr) {
      ++ctx.counters.dropped;
      return 0;
    }
    return handle_query(*s, in, out, transport, ctx);
  }
};

}  // namespace srvd::dns
