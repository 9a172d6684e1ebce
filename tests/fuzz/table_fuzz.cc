// Whole SSTable files: open (footer, index, filter, properties), iterate, and point lookups.
#include "fuzz_util.h"
#include "lsm/dbformat.h"
#include "lsm/table_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb;
  static const lsm::InternalKeyComparator comparator(lsm::bytewise_comparator());
  lsm::FaultyEnv env;
  fuzz::put_file(env, "/fuzz/000007.sst", fuzz::as_view(data, size));
  auto file = env.new_random_access_file("/fuzz/000007.sst");
  if (!file.is_ok()) return 0;
  lsm::TableOptions options;
  options.comparator = &comparator;
  auto table = lsm::TableReader::open(options, std::move(file).value(), size, "000007.sst");
  if (!table.is_ok()) return 0;
  auto it = (*table)->new_iterator();
  int steps = 0;
  for (it->seek_to_first(); it->valid() && steps < 10000; it->next(), ++steps) {
  }
  for (std::string_view probe : {"", "a", "key", "\xff\xff"}) {
    (void)(*table)->get(lsm::make_lookup_key(probe, lsm::kMaxSequenceNumber));
  }
  return 0;
}
