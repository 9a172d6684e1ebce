#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace pairdb::detail {

void assertion_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "pairdb: assertion failed: %s at %s:%d\n", expr, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace pairdb::detail
