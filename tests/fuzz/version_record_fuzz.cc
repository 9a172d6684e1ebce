// Replication decoders: stored version records and LSM storage keys (client causal contexts
// have their own target, context_fuzz.cc).
// Whatever decodes must re-encode to something that decodes to the same value.
#include <cstdlib>

#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb::replication;
  const std::string_view bytes = pairdb::fuzz::as_view(data, size);
  if (auto record = decode_record(bytes); record.is_ok()) {
    auto again = decode_record(encode_record(*record));
    if (!again.is_ok() || !(*again == *record)) std::abort();
    (void)visible(*record, 1000);
    (void)is_purgeable(*record, 1000, 10);
  }
  if (auto key = decode_item_key(bytes); key.is_ok()) {
    if (encode_item_key(key->table, key->partition_key, key->sort_key) != bytes) std::abort();
  }
  return 0;
}
