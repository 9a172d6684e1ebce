// Server error codes to Errc, and which failures may be retried.
#include <catch2/catch.hpp>

#include "client/error_mapping.h"
#include "net/wire.h"

using namespace pairdb::client;
namespace wire = pairdb::wire;

TEST_CASE("every server error code maps to a typed error", "[client][errors]") {
  CHECK(errc_from_wire(wire::ErrorCode::InvalidArgument) == Errc::kInvalidArgument);
  CHECK(errc_from_wire(wire::ErrorCode::NotFound) == Errc::kNotFound);
  CHECK(errc_from_wire(wire::ErrorCode::TableNotFound) == Errc::kTableNotFound);
  CHECK(errc_from_wire(wire::ErrorCode::TooLarge) == Errc::kTooLarge);
  CHECK(errc_from_wire(wire::ErrorCode::Unavailable) == Errc::kUnavailable);
  CHECK(errc_from_wire(wire::ErrorCode::Timeout) == Errc::kTimeout);
  CHECK(errc_from_wire(wire::ErrorCode::Overloaded) == Errc::kOverloaded);
  CHECK(errc_from_wire(wire::ErrorCode::Unauthorized) == Errc::kUnauthorized);
  CHECK(errc_from_wire(wire::ErrorCode::Internal) == Errc::kInternal);
  CHECK(errc_from_wire(wire::ErrorCode::UnsupportedVersion) == Errc::kProtocol);
  CHECK(errc_from_wire(wire::ErrorCode::UnknownOpcode) == Errc::kProtocol);
  CHECK(errc_from_wire(wire::ErrorCode::MalformedFrame) == Errc::kProtocol);
  CHECK(errc_from_wire(wire::ErrorCode::TableExists) == Errc::kTableExists);
  CHECK(errc_from_wire(wire::ErrorCode::ShuttingDown) == Errc::kShuttingDown);
  CHECK(errc_from_wire(static_cast<wire::ErrorCode>(999)) == Errc::kInternal);
}

TEST_CASE("errors carry their name and the server's message", "[client][errors]") {
  CHECK(errc_name(Errc::kTableNotFound) == "TableNotFound");
  const Error error{Errc::kUnavailable, "2 of 3 replicas down", 2, 1};
  CHECK(error.to_string() == "Unavailable: 2 of 3 replicas down (required 2, achieved 1)");
  Expected<int> failed = error;
  CHECK(failed.is(Errc::kUnavailable));
  CHECK_FALSE(failed.is(Errc::kTimeout));
  CHECK(Expected<int>(3).describe() == "OK");
}

TEST_CASE("requests refused unstarted are always retryable", "[client][errors][retry]") {
  for (Errc code : {Errc::kOverloaded, Errc::kUnavailable, Errc::kShuttingDown}) {
    CHECK(is_retryable(code, {CallKind::kWrite, false, true}));
    CHECK(is_retryable(code, {CallKind::kRead, false, true}));
  }
}

TEST_CASE("unknown outcomes are retried only for reads and keyed writes",
          "[client][errors][retry]") {
  for (Errc code : {Errc::kTimeout, Errc::kInternal, Errc::kConnection}) {
    CHECK(is_retryable(code, {CallKind::kRead, false, true}));
    CHECK(is_retryable(code, {CallKind::kWrite, true, true}));
    CHECK_FALSE(is_retryable(code, {CallKind::kWrite, false, true}));
    CHECK(is_retryable(code, {CallKind::kWrite, false, /*request_sent=*/false}));
  }
}

TEST_CASE("errors that would repeat are never retried", "[client][errors][retry]") {
  for (Errc code : {Errc::kInvalidArgument, Errc::kTableNotFound, Errc::kTableExists,
                    Errc::kTooLarge, Errc::kUnauthorized, Errc::kProtocol, Errc::kCancelled,
                    Errc::kNotFound}) {
    CHECK_FALSE(is_retryable(code, {CallKind::kRead, true, false}));
  }
}

TEST_CASE("the SDK's retry classes agree with net::is_retry_safe", "[client][errors][retry]") {
  for (uint16_t value = 1; value <= 14; ++value) {
    const auto code = static_cast<wire::ErrorCode>(value);
    const RetryQuestion unkeyed_write{CallKind::kWrite, false, true};
    CHECK(is_retryable(errc_from_wire(code), unkeyed_write) == pairdb::net::is_retry_safe(code));
  }
}
