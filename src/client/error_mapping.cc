#include "client/error_mapping.h"

#include <fmt/format.h>

#include "net/error_table.h"
#include "net/wire.h"

namespace pairdb::client {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "InvalidArgument";
    case Errc::kNotFound:
      return "NotFound";
    case Errc::kTableNotFound:
      return "TableNotFound";
    case Errc::kTableExists:
      return "TableExists";
    case Errc::kTooLarge:
      return "TooLarge";
    case Errc::kUnavailable:
      return "Unavailable";
    case Errc::kTimeout:
      return "Timeout";
    case Errc::kOverloaded:
      return "Overloaded";
    case Errc::kShuttingDown:
      return "ShuttingDown";
    case Errc::kUnauthorized:
      return "Unauthorized";
    case Errc::kConnection:
      return "Connection";
    case Errc::kProtocol:
      return "Protocol";
    case Errc::kInternal:
      return "Internal";
    case Errc::kCancelled:
      return "Cancelled";
  }
  return "Unknown";
}

std::string Error::to_string() const {
  std::string text = fmt::format("{}: {}", errc_name(code), message);
  if (required != 0 || achieved != 0) {
    text += fmt::format(" (required {}, achieved {})", required, achieved);
  }
  return text;
}

#define PAIRDB_ERRC_ROW(code, http, errc, retry) \
  case wire::ErrorCode::code:                    \
    return Errc::errc;
Errc errc_from_wire(wire::ErrorCode code) {
  switch (code) { PAIRDB_ERROR_CODES(PAIRDB_ERRC_ROW) }
  return Errc::kInternal;  // A code newer than this SDK (PROTOCOL.md section 9).
}
#undef PAIRDB_ERRC_ROW

namespace {

// The retry class of an Errc: from the error table for codes a server sends, else the SDK's own.
net::RetryClass retry_class_of(Errc code) {
  switch (code) {
    case Errc::kConnection:
      return net::RetryClass::kUnknownOutcome;  // The request may have reached the server.
    case Errc::kCancelled:
      return net::RetryClass::kNever;
    default:
      break;
  }
#define PAIRDB_ERRC_RETRY(wire_code, http, errc, retry) \
  if (code == Errc::errc) return net::RetryClass::retry;
  PAIRDB_ERROR_CODES(PAIRDB_ERRC_RETRY)
#undef PAIRDB_ERRC_RETRY
  return net::RetryClass::kNever;
}

}  // namespace

bool is_retryable(Errc code, const RetryQuestion& question) {
  switch (retry_class_of(code)) {
    case net::RetryClass::kRefused:
      return true;  // Refused before anything was done.
    case net::RetryClass::kUnknownOutcome:
      if (!question.request_sent) return true;
      return question.kind == CallKind::kRead || question.has_idempotency_key;
    case net::RetryClass::kNever:
      return false;
  }
  return false;
}

}  // namespace pairdb::client
