// Internode protocol: decode_request and decode_response on arbitrary frames (every internode
// opcode, both flags), and a re-encode of whatever decodes, which must decode to the same value.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/assert.h"
#include "net/frame.h"
#include "net/internode.h"

namespace {

using namespace pairdb::net;
namespace internode = pairdb::net::internode;

constexpr internode::InternodeOp kOps[] = {
#define PAIRDB_FUZZ_INTERNODE_OP(name, number) internode::InternodeOp::k##name,
    PAIRDB_INTERNODE_OPCODES(PAIRDB_FUZZ_INTERNODE_OP)
#undef PAIRDB_FUZZ_INTERNODE_OP
};

Frame frame_of(std::span<const uint8_t> payload, internode::InternodeOp op, uint8_t flags) {
  Frame frame;
  frame.header.opcode = internode::to_frame_opcode(op);
  frame.header.flags = flags;
  frame.header.stream_id = 1;
  frame.header.payload_length = static_cast<uint32_t>(payload.size());
  frame.payload.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  return frame;
}

Frame reparse(const std::string& bytes) {
  Frame frame;
  frame.header = decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes>(
      reinterpret_cast<const uint8_t*>(bytes.data()), kFrameHeaderBytes));
  frame.payload = bytes.substr(kFrameHeaderBytes);
  return frame;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  for (internode::InternodeOp op : kOps) {
    if (auto request = internode::decode_request(frame_of(payload, op, 0)); request.is_ok()) {
      auto again = internode::decode_request(reparse(internode::encode_request(7, *request)));
      PAIRDB_ASSERT(again.is_ok() && *again == *request);
    }
    for (uint8_t flags : {kFlagResponse, static_cast<uint8_t>(kFlagResponse | kFlagError)}) {
      if (auto response = internode::decode_response(frame_of(payload, op, flags));
          response.is_ok()) {
        auto again =
            internode::decode_response(reparse(internode::encode_response(7, op, *response)));
        PAIRDB_ASSERT(again.is_ok() && *again == *response);
      }
    }
  }
  return 0;
}
