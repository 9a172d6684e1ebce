// Status: codes, messages, context, and the quorum count a replicated failure carries.
#include <catch2/catch.hpp>

#include <pairdb/status.h>

namespace pairdb {
namespace {

TEST_CASE("an OK status has no message and no quorum count", "[status]") {
  const Status ok = Status::ok();
  CHECK(ok.is_ok());
  CHECK(ok.message().empty());
  CHECK_FALSE(ok.quorum().has_value());
  CHECK(ok.with_context("ignored").is_ok());
  CHECK(ok.to_string() == "OK");
}

TEST_CASE("a status without a count reports none", "[status]") {
  const Status plain = Status::unavailable("the ring has no nodes yet");
  CHECK(plain.code() == StatusCode::kUnavailable);
  CHECK_FALSE(plain.quorum().has_value());
  CHECK(plain.to_string() == "Unavailable: the ring has no nodes yet");
}

TEST_CASE("Unavailable and Timeout keep their quorum count through added context", "[status]") {
  const Status unavailable = Status::unavailable("2 alive", QuorumCount{3, 2});
  REQUIRE(unavailable.quorum().has_value());
  CHECK(*unavailable.quorum() == QuorumCount{3, 2});

  const Status timeout = Status::timeout("1 acked", QuorumCount{2, 1}).with_context("put k");
  CHECK(timeout.code() == StatusCode::kTimeout);
  CHECK(timeout.message() == "put k: 1 acked");
  CHECK(timeout.quorum() == QuorumCount{2, 1});

  const Status copy = timeout;  // Copies share the detail.
  CHECK(copy.quorum() == QuorumCount{2, 1});
  CHECK(copy.message() == timeout.message());
}

}  // namespace
}  // namespace pairdb
