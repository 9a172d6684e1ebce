// Maps engine names to adapters. The RocksDB and LevelDB adapters exist only when CMake found
// those libraries (PAIRDB_BENCH_HAVE_ROCKSDB / PAIRDB_BENCH_HAVE_LEVELDB).
#include "engine.h"

namespace pairdb::bench {

std::unique_ptr<Engine> make_pairdb_engine();
#ifdef PAIRDB_BENCH_HAVE_ROCKSDB
std::unique_ptr<Engine> make_rocksdb_engine();
#endif
#ifdef PAIRDB_BENCH_HAVE_LEVELDB
std::unique_ptr<Engine> make_leveldb_engine();
#endif

const std::vector<std::string>& known_engines() {
  static const std::vector<std::string> kEngines = {"pairdb", "rocksdb", "leveldb"};
  return kEngines;
}

std::unique_ptr<Engine> make_engine(std::string_view name) {
  if (name == "pairdb") return make_pairdb_engine();
#ifdef PAIRDB_BENCH_HAVE_ROCKSDB
  if (name == "rocksdb") return make_rocksdb_engine();
#endif
#ifdef PAIRDB_BENCH_HAVE_LEVELDB
  if (name == "leveldb") return make_leveldb_engine();
#endif
  return nullptr;
}

}  // namespace pairdb::bench
