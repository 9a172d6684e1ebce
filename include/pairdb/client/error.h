// Errors of the pairdb C++ SDK: a small typed set (Errc) that callers branch on, the server's
// message for people, and Expected<T>, the value-or-error every operation completes with.
//
// Value types; no shared state. Safe to copy and move between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pairdb::client {

// What went wrong, at the granularity a caller reacts to. The server's error codes map onto
// these one to one where a caller would act differently; the rest fold into kProtocol/kInternal.
enum class Errc : uint8_t {
  kInvalidArgument = 1,  // A field is missing or invalid, or a client-side check failed.
  kNotFound,             // Reserved for the HTTP-style NotFound; a binary Get answers found=false.
  kTableNotFound,        // No such table (it may be new and still spreading).
  kTableExists,          // CreateTable for an existing name without if_not_exists.
  kTooLarge,             // A key, value, frame or sibling set is above its limit.
  kUnavailable,          // Too few replicas alive; nothing was written.
  kTimeout,              // The request's deadline expired; a write may or may not have landed.
  kOverloaded,           // The node (or this client's queue) refused the request; back off.
  kShuttingDown,         // The node is draining; the request was not started.
  kUnauthorized,         // Reserved for authentication.
  kConnection,           // No connection to any node could carry the request.
  kProtocol,             // The peer broke the protocol (bad frame, unknown opcode, version).
  kInternal,             // A server bug or unexpected failure; the outcome is unknown.
  kCancelled,            // The client was closed before the request completed.
};

// "InvalidArgument", "Timeout", ...
std::string_view errc_name(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;    // For people; the server's text when the server answered.
  uint32_t required = 0;  // kUnavailable/kTimeout from the server: replicas needed...
  uint32_t achieved = 0;  // ...and replicas alive (Unavailable) or answering (Timeout).

  // "Timeout: deadline of 50 ms expired after 1 attempt".
  std::string to_string() const;
};

// Either a T or an Error. The result type of every blocking call, and the single argument of
// every asynchronous completion (so use_awaitable yields it and use_future wraps it).
template <class T>
class [[nodiscard]] Expected {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Expected<Error> is ambiguous");

 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}    // NOLINT: implicit
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // REQUIRES: has_value() (otherwise throws std::bad_variant_access).
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !has_value() (otherwise throws std::bad_variant_access).
  const Error& error() const { return std::get<1>(state_); }
  // True when this holds an error with `code`.
  bool is(Errc code) const { return !has_value() && error().code == code; }

  // For diagnostics: "OK" or the error's to_string().
  std::string describe() const { return has_value() ? std::string("OK") : error().to_string(); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace pairdb::client
