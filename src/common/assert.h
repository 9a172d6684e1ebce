// Assertions that stay on in release builds (PAIRDB_ASSERT) and expensive ones that only run in
// debug builds (PAIRDB_DASSERT). An assertion failure is a bug in pairdb: it logs and aborts.
// Bad bytes from disk or the network are never asserted on; they become Status::corruption.
#pragma once

namespace pairdb::detail {
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line);
}  // namespace pairdb::detail

#define PAIRDB_ASSERT(cond)                                          \
  do {                                                               \
    if (__builtin_expect(!(cond), 0)) {                              \
      ::pairdb::detail::assertion_failed(#cond, __FILE__, __LINE__); \
    }                                                                \
  } while (0)

#ifdef NDEBUG
#define PAIRDB_DASSERT(cond) \
  do {                       \
    (void)sizeof(cond);      \
  } while (0)
#else
#define PAIRDB_DASSERT(cond) PAIRDB_ASSERT(cond)
#endif
