// Total orders over keys. pairdb user keys are always compared bytewise (the database layer
// encodes its keys order-preservingly); the engine orders internal keys with its own comparator.
#pragma once

#include <string>
#include <string_view>

namespace pairdb::lsm {

// Implementations are stateless and thread-safe.
class Comparator {
 public:
  virtual ~Comparator() = default;
  // <0, 0, >0 as a is less than, equal to, greater than b.
  virtual int compare(std::string_view a, std::string_view b) const = 0;
  // Persisted in the MANIFEST: a database refuses to open with a different comparator.
  virtual std::string_view name() const = 0;
};

// Unsigned lexicographic byte order. Returns a process-wide singleton.
const Comparator* bytewise_comparator();

}  // namespace pairdb::lsm
