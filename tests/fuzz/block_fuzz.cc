// Data and index blocks: parse arbitrary bytes, then walk and seek in both directions.
#include "fuzz_util.h"
#include "lsm/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb;
  lsm::Block block(std::string(fuzz::as_view(data, size)), "fuzz block");
  auto it = block.new_iterator(lsm::bytewise_comparator());
  int steps = 0;
  for (it->seek_to_first(); it->valid() && steps < 10000; it->next(), ++steps) {
    (void)it->key();
    (void)it->value();
  }
  for (it->seek_to_last(); it->valid() && steps < 20000; it->prev(), ++steps) {
  }
  it->seek(fuzz::as_view(data, size < 16 ? size : 16));
  (void)it->status();
  return 0;
}
