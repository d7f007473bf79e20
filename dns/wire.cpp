// wire.cpp -- name skipping and whole-record writing on raw DNS messages.
#include "dns/wire.hpp"

namespace srvd::dns {

bool skip_name(std::span<const uint8_t> msg, size_t& pos) {
  size_t total = 0;
  while (pos < msg.size()) {
    uint8_t len = msg[pos];
    if ((len & 0xC0) == 0xC0) {  // a pointer ends the name (RFC 1035 §4.1.4)
      if (pos + 2 > msg.size()) {
        return false;
      }
      pos += 2;
      return true;
    }
    if ((len & 0xC0) != 0) {  // 0x40/0x80: extended label types (RFC 6891 §5), unsupported
      return false;
    }
    total += size_t{len} + 1;
    if (total > kMaxNameSize) {
      return false;
    }
    pos += size_t{len} + 1;
    if (len == 0) {
      return true;
    }
  }
  return false;
}

size_t MessageWriter::record(const OwnerName& owner, uint16_t rtype, uint32_t ttl,
                             std::span<const uint8_t> rdata) {
  size_t need = owner.size() + 10 + rdata.size();
  if (rdata.size() > 0xFFFF || !fits(need)) {
    return 0;
  }
  uint8_t* p = out_.data() + pos_;
  if (owner.pointer != 0) {
    put16(p, static_cast<uint16_t>(0xC000 | owner.pointer));
    p += 2;
  } else {
    std::memcpy(p, owner.name.data(), owner.name.size());
    p += owner.name.size();
  }
  put16(p, rtype);
  put16(p + 2, kClassIn);
  put32(p + 4, ttl);
  put16(p + 8, static_cast<uint16_t>(rdata.size()));
  if (!rdata.empty()) {
    std::memcpy(p + 10, rdata.data(), rdata.size());
  }
  size_t rdata_offset = pos_ + owner.size() + 10;
  pos_ += need;
  return rdata_offset;
}

}  // namespace srvd::dns
