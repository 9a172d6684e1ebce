// Status and Result<T>: how every pairdb module reports an operating error.
//
// Operating errors (I/O, corruption, timeouts, unreachable peers) are values, never exceptions.
// A StatusCode exists only when some caller reacts differently to it; everything else goes in
// the message, which names the file, offset or peer involved.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pairdb {

enum class StatusCode : uint8_t {
  kOk = 0,
  kNotFound,
  kCorruption,
  kIoError,
  kNoSpace,  // The disk is full: the caller may retry once space returns.
  kInvalidArgument,
  kBusy,
  kTimeout,
  kUnavailable,
  kNotSupported,
  // The request names a table that does not exist (clients treat it apart from a missing item).
  kTableNotFound,
  // A key, value, frame, body or sibling set exceeds a configured limit.
  kTooLarge,
  // The node sheds load (connection or in-flight limits); the client should back off.
  kOverloaded,
  kUnauthorized,
  // CreateTable of a name a live table already has.
  kTableExists,
  // The node is stopping and takes no new requests; another node can serve it.
  kShuttingDown,
};

std::string_view status_code_name(StatusCode code);

// What a replicated operation that answered Unavailable or Timeout was short of: the replicas
// its consistency level needs, and those that were alive (Unavailable) or answered (Timeout).
struct QuorumCount {
  uint32_t required = 0;
  uint32_t achieved = 0;
  bool operator==(const QuorumCount&) const = default;
};

// Immutable, cheap to copy when OK (no allocation).
class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status ok() { return Status(); }
  static Status not_found(std::string_view msg) { return {StatusCode::kNotFound, msg}; }
  static Status corruption(std::string_view msg) { return {StatusCode::kCorruption, msg}; }
  static Status io_error(std::string_view msg) { return {StatusCode::kIoError, msg}; }
  static Status no_space(std::string_view msg) { return {StatusCode::kNoSpace, msg}; }
  static Status invalid_argument(std::string_view msg) {
    return {StatusCode::kInvalidArgument, msg};
  }
  static Status busy(std::string_view msg) { return {StatusCode::kBusy, msg}; }
  static Status timeout(std::string_view msg) { return {StatusCode::kTimeout, msg}; }
  static Status timeout(std::string_view msg, QuorumCount quorum) {
    return {StatusCode::kTimeout, msg, quorum};
  }
  static Status unavailable(std::string_view msg) { return {StatusCode::kUnavailable, msg}; }
  static Status unavailable(std::string_view msg, QuorumCount quorum) {
    return {StatusCode::kUnavailable, msg, quorum};
  }
  static Status not_supported(std::string_view msg) { return {StatusCode::kNotSupported, msg}; }
  static Status table_not_found(std::string_view msg) { return {StatusCode::kTableNotFound, msg}; }
  static Status too_large(std::string_view msg) { return {StatusCode::kTooLarge, msg}; }
  static Status overloaded(std::string_view msg) { return {StatusCode::kOverloaded, msg}; }
  static Status unauthorized(std::string_view msg) { return {StatusCode::kUnauthorized, msg}; }
  static Status table_exists(std::string_view msg) { return {StatusCode::kTableExists, msg}; }
  static Status shutting_down(std::string_view msg) { return {StatusCode::kShuttingDown, msg}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  bool is_not_found() const { return code_ == StatusCode::kNotFound; }
  bool is_corruption() const { return code_ == StatusCode::kCorruption; }
  bool is_io_error() const { return code_ == StatusCode::kIoError; }
  bool is_no_space() const { return code_ == StatusCode::kNoSpace; }
  bool is_invalid_argument() const { return code_ == StatusCode::kInvalidArgument; }

  StatusCode code() const { return code_; }
  std::string_view message() const { return detail_ ? std::string_view(detail_->message) : ""; }
  // Set on an Unavailable or Timeout of a replicated operation; absent otherwise.
  std::optional<QuorumCount> quorum() const { return detail_ ? detail_->quorum : std::nullopt; }

  // "Corruption: bad block checksum in 000012.sst at offset 4096".
  std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>" (the quorum count kept). OK stays OK.
  Status with_context(std::string_view context) const;

 private:
  struct Detail {
    std::string message;
    std::optional<QuorumCount> quorum;
  };

  Status(StatusCode code, std::string_view msg, std::optional<QuorumCount> quorum = std::nullopt)
      : code_(code), detail_(std::make_shared<const Detail>(Detail{std::string(msg), quorum})) {}

  StatusCode code_ = StatusCode::kOk;
  std::shared_ptr<const Detail> detail_;  // Null when OK.
};

// Either a T or a non-OK Status; the small std::expected we need until C++23.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status directly");

 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}        // NOLINT: implicit
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(state_).is_ok()) {
      state_.template emplace<1>(Status::invalid_argument("Result built from an OK Status"));
    }
  }

  bool is_ok() const { return state_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  // REQUIRES: is_ok()
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // OK when a value is held.
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

namespace detail {
inline Status status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) {
  return r.status();
}
}  // namespace detail

}  // namespace pairdb

#define PAIRDB_CONCAT_INNER(a, b) a##b
#define PAIRDB_CONCAT(a, b) PAIRDB_CONCAT_INNER(a, b)

// Returns early from the calling function with the Status of `expr` when it is not OK.
#define PAIRDB_TRY(expr)                                                     \
  do {                                                                       \
    ::pairdb::Status pairdb_try_status_ = ::pairdb::detail::status_of(expr); \
    if (!pairdb_try_status_.is_ok()) return pairdb_try_status_;              \
  } while (0)

// PAIRDB_ASSIGN_OR_RETURN(auto x, result_expr): binds the value or returns the error.
#define PAIRDB_ASSIGN_OR_RETURN(lhs, expr) \
  PAIRDB_ASSIGN_OR_RETURN_IMPL(PAIRDB_CONCAT(pairdb_result_, __LINE__), lhs, expr)
#define PAIRDB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.is_ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
