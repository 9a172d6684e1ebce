#include "client/error_mapping.h"

#include <fmt/format.h>

namespace pairdb::client {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "InvalidArgument";
    case Errc::kNotFound: return "NotFound";
    case Errc::kTableNotFound: return "TableNotFound";
    case Errc::kTableExists: return "TableExists";
    case Errc::kTooLarge: return "TooLarge";
    case Errc::kUnavailable: return "Unavailable";
    case Errc::kTimeout: return "Timeout";
    case Errc::kOverloaded: return "Overloaded";
    case Errc::kShuttingDown: return "ShuttingDown";
    case Errc::kUnauthorized: return "Unauthorized";
    case Errc::kConnection: return "Connection";
    case Errc::kProtocol: return "Protocol";
    case Errc::kInternal: return "Internal";
    case Errc::kCancelled: return "Cancelled";
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

Errc errc_from_wire(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::InvalidArgument: return Errc::kInvalidArgument;
    case wire::ErrorCode::NotFound: return Errc::kNotFound;
    case wire::ErrorCode::TableNotFound: return Errc::kTableNotFound;
    case wire::ErrorCode::TooLarge: return Errc::kTooLarge;
    case wire::ErrorCode::Unavailable: return Errc::kUnavailable;
    case wire::ErrorCode::Timeout: return Errc::kTimeout;
    case wire::ErrorCode::Overloaded: return Errc::kOverloaded;
    case wire::ErrorCode::Unauthorized: return Errc::kUnauthorized;
    case wire::ErrorCode::Internal: return Errc::kInternal;
    case wire::ErrorCode::UnsupportedVersion: return Errc::kProtocol;
    case wire::ErrorCode::UnknownOpcode: return Errc::kProtocol;
    case wire::ErrorCode::MalformedFrame: return Errc::kProtocol;
    case wire::ErrorCode::TableExists: return Errc::kTableExists;
    case wire::ErrorCode::ShuttingDown: return Errc::kShuttingDown;
  }
  return Errc::kInternal;
}

bool is_retryable(Errc code, const RetryQuestion& question) {
  switch (code) {
    case Errc::kOverloaded:
    case Errc::kUnavailable:
    case Errc::kShuttingDown:
      return true;  // Refused before anything was done.
    case Errc::kTimeout:
    case Errc::kInternal:
    case Errc::kConnection:
      if (!question.request_sent) return true;
      return question.kind == CallKind::kRead || question.has_idempotency_key;
    case Errc::kInvalidArgument:
    case Errc::kNotFound:
    case Errc::kTableNotFound:
    case Errc::kTableExists:
    case Errc::kTooLarge:
    case Errc::kUnauthorized:
    case Errc::kProtocol:
    case Errc::kCancelled:
      return false;
  }
  return false;
}

}  // namespace pairdb::client
