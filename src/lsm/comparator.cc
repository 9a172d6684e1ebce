#include <pairdb/lsm/comparator.h>

namespace pairdb::lsm {
namespace {

class BytewiseComparator final : public Comparator {
 public:
  int compare(std::string_view a, std::string_view b) const override { return a.compare(b); }
  std::string_view name() const override { return "pairdb.BytewiseComparator"; }
};

}  // namespace

const Comparator* bytewise_comparator() {
  static const BytewiseComparator instance;
  return &instance;
}

}  // namespace pairdb::lsm
