// PartitionFilter, the test-only network fault hook: which hosts a file cuts off, and how it
// reads addresses and the file.
#include <catch2/catch.hpp>

#include <fstream>

#include "net/partition_filter.h"
#include "support/temp_dir.h"

using pairdb::net::PartitionFilter;

TEST_CASE("the host of an address, with or without port or brackets", "[partition]") {
  CHECK(PartitionFilter::host_of("127.0.0.3:7402") == "127.0.0.3");
  CHECK(PartitionFilter::host_of("127.0.0.3") == "127.0.0.3");
  CHECK(PartitionFilter::host_of("[::1]:7402") == "::1");
  CHECK(PartitionFilter::host_of("::1") == "::1");
  CHECK(PartitionFilter::host_of("node-3.example:7402") == "node-3.example");
}

TEST_CASE("a partition file cuts off the hosts it lists until it changes", "[partition]") {
  pairdb::test::TempDir dir;
  const std::string path = dir.path() + "/partition";
  PartitionFilter filter(path);
  REQUIRE(filter.reload().is_ok());  // No file yet: nothing is blocked.
  CHECK_FALSE(filter.blocks("127.0.0.2:7402"));

  std::ofstream(path) << "# the minority\n127.0.0.2\n\n  127.0.0.3:9000  \n";
  REQUIRE(filter.reload().is_ok());
  CHECK(filter.blocks("127.0.0.2:7402"));
  CHECK(filter.blocks("127.0.0.3"));  // A port in the file is ignored: hosts are cut, not ports.
  CHECK_FALSE(filter.blocks("127.0.0.1:7402"));
  CHECK_FALSE(filter.blocks("127.0.0.20:7402"));

  std::ofstream(path, std::ios::trunc) << "";
  REQUIRE(filter.reload().is_ok());  // Healed.
  CHECK_FALSE(filter.blocks("127.0.0.2:7402"));
}
