// Gossip datagrams: FlatBuffers verification and decoding of arbitrary bytes.
#include "fuzz_util.h"
#include "gossip/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)pairdb::gossip::decode_message(pairdb::fuzz::as_view(data, size));
  return 0;
}
