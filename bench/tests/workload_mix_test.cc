#include <catch2/catch.hpp>

#include "pairdb_bench/workload_mix.h"

using pairdb::bench::parse_workload;

TEST_CASE("YCSB letters give their read fractions") {
  CHECK(parse_workload("A").value().read_fraction == 0.5);
  CHECK(parse_workload("b").value().read_fraction == 0.95);
  CHECK(parse_workload("C").value().read_fraction == 1.0);
  CHECK(parse_workload("W").value().read_fraction == 0.0);
  CHECK(parse_workload("c").value().name == "C");
}

TEST_CASE("explicit read:write ratios") {
  CHECK(parse_workload("90:10").value().read_fraction == Approx(0.9));
  CHECK(parse_workload("1:0").value().read_fraction == 1.0);
  CHECK(parse_workload("0:3").value().read_fraction == 0.0);
  CHECK(parse_workload("90:10").value().name == "90:10");
}

TEST_CASE("malformed workloads are refused with the accepted forms") {
  for (const char* bad : {"", "D", "0:0", "90:", ":10", "-1:2", "9x:1", "AB"}) {
    INFO(bad);
    const auto parsed = parse_workload(bad);
    REQUIRE(!parsed.is_ok());
    CHECK(parsed.status().message().find("read:write") != std::string::npos);
  }
}
