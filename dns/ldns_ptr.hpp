// ldns_ptr.hpp -- one owning smart pointer per ldns type (STYLE §7), for the slow paths.
#pragma once

// <stdbool.h> first: without it ldns/common.h #defines bool, true and false, which breaks
// later C++ headers.
// clang-format off
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on

#include <cstdio>
#include <memory>

namespace srvd::dns {

template <auto F>
struct Free {
  template <class T>
  void operator()(T* p) const {
    F(p);
  }
};

using PktPtr = std::unique_ptr<ldns_pkt, Free<ldns_pkt_free>>;
using ZonePtr = std::unique_ptr<ldns_zone, Free<ldns_zone_deep_free>>;
using RdfPtr = std::unique_ptr<ldns_rdf, Free<ldns_rdf_deep_free>>;
using RrPtr = std::unique_ptr<ldns_rr, Free<ldns_rr_free>>;
using BufferPtr = std::unique_ptr<ldns_buffer, Free<ldns_buffer_free>>;
using FilePtr = std::unique_ptr<FILE, Free<std::fclose>>;

}  // namespace srvd::dns
