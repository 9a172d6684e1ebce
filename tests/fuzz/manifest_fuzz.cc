// MANIFEST version edits and WAL write batches: decode arbitrary bytes.
#include <pairdb/lsm/write_batch.h>

#include "fuzz_util.h"
#include "lsm/version_edit.h"

namespace {
struct NullHandler final : pairdb::lsm::WriteBatch::Handler {
  void on_put(std::string_view, std::string_view) override {}
  void on_delete(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb;
  auto bytes = fuzz::as_view(data, size);
  auto edit = lsm::VersionEdit::decode(bytes);
  if (edit.is_ok()) (void)edit->encode();
  lsm::WriteBatch batch;
  if (batch.set_contents(bytes).is_ok()) {
    NullHandler handler;
    (void)batch.iterate(handler);
  }
  return 0;
}
