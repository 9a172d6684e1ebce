// WAL and MANIFEST records: LogReader in strict and salvage mode over arbitrary bytes.
#include "fuzz_util.h"
#include "lsm/log_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pairdb;
  for (bool salvage : {false, true}) {
    lsm::FaultyEnv env;
    fuzz::put_file(env, "/fuzz/000001.log", fuzz::as_view(data, size));
    auto file = env.new_sequential_file("/fuzz/000001.log");
    if (!file.is_ok()) return 0;
    lsm::LogReader reader(std::move(file).value(), "000001.log", salvage);
    for (int i = 0; i < 100000; ++i) {
      auto record = reader.read_record();
      if (!record.is_ok() || !*record) break;
    }
  }
  return 0;
}
