#include <pairdb/status.h>

namespace pairdb {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kIoError:
      return "IOError";
    case StatusCode::kNoSpace:
      return "NoSpace";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kBusy:
      return "Busy";
    case StatusCode::kTimeout:
      return "Timeout";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kNotSupported:
      return "NotSupported";
    case StatusCode::kTableNotFound:
      return "TableNotFound";
    case StatusCode::kTooLarge:
      return "TooLarge";
    case StatusCode::kOverloaded:
      return "Overloaded";
    case StatusCode::kUnauthorized:
      return "Unauthorized";
    case StatusCode::kTableExists:
      return "TableExists";
    case StatusCode::kShuttingDown:
      return "ShuttingDown";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(status_code_name(code_));
  out += ": ";
  out += message();
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message();
  return Status(code_, msg, quorum());
}

}  // namespace pairdb
