// Client protocol: the incremental frame decoder on arbitrary byte streams, cut into chunks at
// points the input chooses, and FlatBuffers verification of every request, response and error
// table, both on decoded frame payloads and on the raw input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/assert.h"
#include "net/frame.h"
#include "net/wire.h"

namespace {

using namespace pairdb::net;

// Small enough that the fuzzer reaches the too-large path, large enough for real payloads.
constexpr uint32_t kFuzzMaxPayloadBytes = 64 * 1024;

void verify_everything(std::span<const uint8_t> payload) {
  for (Opcode op : kAllOpcodes) {
    (void)verify_request(op, payload);
    (void)verify_response(op, payload);
  }
  (void)verify_payload<pairdb::wire::Error>(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size, so frames straddle feed() calls in many ways.
  const size_t chunk = 1 + data[0] % 32;
  const std::span<const uint8_t> stream(data + 1, size - 1);

  if (stream.size() >= kFrameHeaderBytes) {
    (void)parse_frame_header(stream.first<kFrameHeaderBytes>(), kFuzzMaxPayloadBytes);
  }
  verify_everything(stream);

  FrameDecoder decoder(kFuzzMaxPayloadBytes);
  for (size_t pos = 0; pos < stream.size(); pos += chunk) {
    decoder.feed(stream.subspan(pos, std::min(chunk, stream.size() - pos)));
    while (auto frame = decoder.next()) {
      PAIRDB_ASSERT(frame->payload.size() == frame->header.payload_length);
      PAIRDB_ASSERT(frame->header.payload_length <= kFuzzMaxPayloadBytes);
      verify_everything(frame->payload_bytes());
      (void)check_request(*frame);
    }
  }
  return 0;
}
