#include <catch2/catch.hpp>

#include "replication/quorum.h"

using namespace pairdb;
using namespace pairdb::replication;

namespace {

ring::ReplicationSpec dcs(std::vector<ring::DcReplication> per_dc) {
  ring::ReplicationSpec spec;
  spec.per_dc = std::move(per_dc);
  return spec;
}

QuorumRule rule_ok(Consistency level, const ring::ReplicationSpec& spec,
                   std::string_view local = "dc1") {
  auto rule = quorum_rule(level, spec, local);
  INFO(rule.status().to_string());
  REQUIRE(rule.is_ok());
  return *rule;
}

}  // namespace

TEST_CASE("global levels count acks from any replica of any DC") {
  const auto one_dc = dcs({{"dc1", 3}});
  const auto two_dcs = dcs({{"dc1", 3}, {"dc2", 3}});
  CHECK(rule_ok(Consistency::kOne, one_dc).total == 1);
  CHECK(rule_ok(Consistency::kTwo, one_dc).total == 2);
  CHECK(rule_ok(Consistency::kThree, one_dc).total == 3);
  CHECK(rule_ok(Consistency::kQuorum, one_dc).total == 2);
  CHECK(rule_ok(Consistency::kAll, one_dc).total == 3);
  CHECK(rule_ok(Consistency::kQuorum, two_dcs).total == 4);  // A majority of 6.
  CHECK(rule_ok(Consistency::kAll, two_dcs).total == 6);
  CHECK(rule_ok(Consistency::kQuorum, two_dcs).per_dc.empty());
}

TEST_CASE("local levels count only the coordinator's DC, EACH_QUORUM every DC") {
  const auto spec = dcs({{"dc1", 3}, {"dc2", 2}});
  const QuorumRule local = rule_ok(Consistency::kLocalQuorum, spec, "dc2");
  CHECK(local.total == 0);
  CHECK(local.per_dc == std::vector<DcQuorum>{{"dc2", 2}});
  CHECK(rule_ok(Consistency::kLocalOne, spec, "dc1").per_dc == std::vector<DcQuorum>{{"dc1", 1}});
  const QuorumRule each = rule_ok(Consistency::kEachQuorum, spec);
  CHECK(each.per_dc == std::vector<DcQuorum>{{"dc1", 2}, {"dc2", 2}});
  CHECK(each.required() == 4);
}

TEST_CASE("a level the replication cannot satisfy is InvalidArgument") {
  CHECK(quorum_rule(Consistency::kThree, dcs({{"dc1", 2}}), "dc1").status().code() ==
        StatusCode::kInvalidArgument);
  const auto local = quorum_rule(Consistency::kLocalQuorum, dcs({{"dc1", 3}}), "dc9");
  CHECK(local.status().code() == StatusCode::kInvalidArgument);
  CHECK(local.status().message().find("dc9") != std::string::npos);
  CHECK(quorum_rule(Consistency::kLocalOne, dcs({{"dc1", 3}}), "dc2").status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("a simple replication factor counts every replica as local") {
  const auto spec = ring::ReplicationSpec::simple(3);
  CHECK(rule_ok(Consistency::kLocalQuorum, spec, "anywhere").total == 2);
  CHECK(rule_ok(Consistency::kEachQuorum, spec).total == 2);
}

TEST_CASE("quorum_met needs the total and every DC's count") {
  const QuorumRule each = rule_ok(Consistency::kEachQuorum, dcs({{"dc1", 3}, {"dc2", 3}}));
  CHECK_FALSE(quorum_met(each, {"dc1", "dc1", "dc1"}));
  CHECK_FALSE(quorum_met(each, {"dc1", "dc1", "dc2"}));
  CHECK(quorum_met(each, {"dc1", "dc2", "dc1", "dc2"}));
  const QuorumRule quorum = rule_ok(Consistency::kQuorum, dcs({{"dc1", 3}}));
  CHECK_FALSE(quorum_met(quorum, {"dc1"}));
  CHECK(quorum_met(quorum, {"dc1", "dc1"}));
  const QuorumRule local = rule_ok(Consistency::kLocalQuorum, dcs({{"dc1", 3}, {"dc2", 3}}));
  CHECK_FALSE(quorum_met(local, {"dc2", "dc2", "dc2"}));
  CHECK(quorum_relevant(local, {"dc2", "dc1", "dc2"}) == 1);
}

TEST_CASE("only ONE and LOCAL_ONE answer a read before its repair is acknowledged") {
  const auto spec = dcs({{"dc1", 3}});
  CHECK_FALSE(rule_ok(Consistency::kOne, spec).blocks_on_repair());
  CHECK_FALSE(rule_ok(Consistency::kLocalOne, spec).blocks_on_repair());
  CHECK(rule_ok(Consistency::kQuorum, spec).blocks_on_repair());
  CHECK(rule_ok(Consistency::kAll, spec).blocks_on_repair());
  CHECK(rule_ok(Consistency::kLocalQuorum, spec).blocks_on_repair());
}

TEST_CASE(
    "the reported count never exceeds what the rule requires, and falls short exactly when "
    "the rule is not met") {
  const auto two_dcs = dcs({{"dc1", 3}, {"dc2", 3}});
  using Dcs = std::vector<std::string_view>;
  // QUORUM of 6 needs 4 anywhere: three acks are 3 of 4; five report 4 of 4, not 5.
  CHECK(quorum_count(rule_ok(Consistency::kQuorum, two_dcs), Dcs{"dc1", "dc1", "dc2"}) ==
        QuorumCount{4, 3});
  CHECK(quorum_count(rule_ok(Consistency::kQuorum, two_dcs),
                     Dcs{"dc1", "dc1", "dc1", "dc2", "dc2"}) == QuorumCount{4, 4});
  // LOCAL_QUORUM in dc1: remote acks count for nothing.
  CHECK(quorum_count(rule_ok(Consistency::kLocalQuorum, two_dcs),
                     Dcs{"dc1", "dc2", "dc2", "dc2"}) == QuorumCount{2, 1});
  // EACH_QUORUM: each DC counts up to its own majority (dc1's third ack adds nothing).
  const auto each = rule_ok(Consistency::kEachQuorum, two_dcs);
  const Dcs alive{"dc1", "dc1", "dc1", "dc2"};
  CHECK_FALSE(quorum_met(each, alive));
  CHECK(quorum_count(each, alive) == QuorumCount{4, 3});
  CHECK(quorum_count(each, Dcs{"dc1", "dc1", "dc2", "dc2"}) == QuorumCount{4, 4});
}
