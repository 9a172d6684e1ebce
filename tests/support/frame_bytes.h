// Tests that hand frames to in-process handlers: one complete encoded frame back into a Frame,
// through the protocol's own FrameDecoder.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "net/frame.h"

namespace pairdb::test {

// REQUIRES (checked): `bytes` is exactly one well-formed frame.
inline net::Frame frame_of(const std::string& bytes) {
  net::FrameDecoder decoder;
  decoder.feed(bytes);
  std::optional<net::Frame> frame = decoder.next();
  REQUIRE(frame.has_value());
  REQUIRE_FALSE(decoder.next().has_value());
  return std::move(*frame);
}

}  // namespace pairdb::test
