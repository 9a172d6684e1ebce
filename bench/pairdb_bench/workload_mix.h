// The operation mix of a pairdb-bench run: the fraction of operations that read (Get); the rest
// update (Put of a record that the load phase wrote). YCSB's core workloads by letter, or an
// explicit ratio.
#pragma once

#include <string>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::bench {

struct WorkloadMix {
  std::string name;          // "A", "B", "C", "W" or the ratio as given ("90:10").
  double read_fraction = 0;  // In [0, 1].

  bool reads() const { return read_fraction > 0; }
  bool writes() const { return read_fraction < 1; }
};

// "A" (50 % reads / 50 % updates), "B" (95/5), "C" (read only), "W" (write only), or
// "R:W" with non-negative integers not both zero ("90:10", "1:0"). Letters are case-insensitive.
Result<WorkloadMix> parse_workload(std::string_view text);

}  // namespace pairdb::bench
