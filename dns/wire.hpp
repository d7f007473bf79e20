// wire.hpp -- DNS wire-format constants, big-endian access and a bounded message writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace srvd::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameSize = 255;            ///< RFC 1035 §2.3.4, wire form incl. root
inline constexpr size_t kMaxLabelSize = 63;            ///< RFC 1035 §2.3.4
inline constexpr size_t kMaxLabels = 127;              ///< 255 bytes of one-character labels
inline constexpr size_t kMaxMessageSize = 65535;       ///< TCP limit, RFC 1035 §4.2.2
inline constexpr uint16_t kClassicUdpPayload = 512;    ///< RFC 1035 §2.3.4 without EDNS
inline constexpr uint16_t kDefaultEdnsPayload = 1232;  ///< DNS flag day 2020 default
inline constexpr size_t kOptRecordSize = 11;  ///< root owner + type/class/ttl/rdlen, no options
inline constexpr uint16_t kPointerLimit = 0x4000;  ///< compression offsets are 14 bits

namespace type {
inline constexpr uint16_t A = 1;
inline constexpr uint16_t NS = 2;
inline constexpr uint16_t SOA = 6;
inline constexpr uint16_t PTR = 12;
inline constexpr uint16_t TXT = 16;
inline constexpr uint16_t AAAA = 28;
inline constexpr uint16_t SRV = 33;
inline constexpr uint16_t OPT = 41;
inline constexpr uint16_t IXFR = 251;
inline constexpr uint16_t AXFR = 252;
inline constexpr uint16_t ANY = 255;
}  // namespace type

inline constexpr uint16_t kClassIn = 1;

namespace rcode {
inline constexpr uint8_t NoError = 0;
inline constexpr uint8_t FormErr = 1;
inline constexpr uint8_t ServFail = 2;
inline constexpr uint8_t NxDomain = 3;
inline constexpr uint8_t NotImp = 4;
inline constexpr uint8_t Refused = 5;
inline constexpr uint16_t BadVers = 16;  ///< extended RCODE, RFC 6891 §6.1.3
}  // namespace rcode

/// Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035 §3.2).
namespace flag {
inline constexpr uint16_t QR = 0x8000;
inline constexpr uint16_t AA = 0x0400;
inline constexpr uint16_t TC = 0x0200;
inline constexpr uint16_t RD = 0x0100;
inline constexpr uint16_t RA = 0x0080;
inline constexpr uint16_t AD = 0x0020;
inline constexpr uint16_t CD = 0x0010;
}  // namespace flag

inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

/// Advances `pos` past a possibly compressed name in `msg` without following pointers.
/// Returns false if the name runs past the end or uses a reserved label type.
bool skip_name(std::span<const uint8_t> msg, size_t& pos);

/// How an owner name is written: a compression pointer to an earlier copy, or the name.
struct OwnerName {
  uint16_t pointer = 0;           ///< offset of an earlier copy in the message, if nonzero
  std::span<const uint8_t> name;  ///< uncompressed wire form, used when pointer == 0
  size_t size() const { return pointer != 0 ? 2 : name.size(); }
};

/// Appends records to a message without ever crossing `limit`: each record is written whole
/// or not at all, so a truncated answer never holds a cut record (RFC 2181 §9).
class MessageWriter {
 public:
  MessageWriter(std::span<uint8_t> out, size_t limit)
      : out_(out), limit_(limit < out.size() ? limit : out.size()) {}

  size_t size() const { return pos_; }
  size_t limit() const { return limit_; }
  void set_limit(size_t limit) { limit_ = limit < out_.size() ? limit : out_.size(); }
  uint8_t* data() { return out_.data(); }
  bool fits(size_t n) const { return pos_ + n <= limit_; }

  /// Raw bytes; the caller has checked fits().
  void bytes(std::span<const uint8_t> b) {
    std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  /// `n` bytes for the caller to fill in place; the caller has checked fits().
  uint8_t* grow(size_t n) {
    uint8_t* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }
  void u16(uint16_t v) {
    put16(out_.data() + pos_, v);
    pos_ += 2;
  }

  /// Writes one resource record and returns the offset of its RDATA, or 0 if it does not fit.
  size_t record(const OwnerName& owner, uint16_t rtype, uint32_t ttl,
                std::span<const uint8_t> rdata);

 private:
  std::span<uint8_t> out_;
  size_t limit_;
  size_t pos_ = 0;
};

}  // namespace srvd::dns
