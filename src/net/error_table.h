// The error table: the one place that says what each error of the client protocol means.
// Everything that reports an error outward derives from it: the wire ErrorCode (client.fbs),
// its name (also the "code" of an HTTP error body), the HTTP status, the SDK's Errc, and
// whether resending the request is safe. A second list maps every StatusCode a module produces
// to the wire code it is answered with. Both are X-macros, so each consumer expands only the
// columns it needs (the SDK's Errc column is spelled here but compiled only by the SDK) and the
// compiler checks that every enumerator is covered (see net/wire.cc and client/error_mapping.cc).
//
// Retry classes:
//   kRefused         the server refused the request before doing anything: always safe to resend;
//   kUnknownOutcome  a write may or may not have been applied: safe for reads, and for writes
//                    with an idempotency key;
//   kNever           resending gets the same answer.
#pragma once

// X(wire ErrorCode, HTTP status, SDK Errc, retry class)
#define PAIRDB_ERROR_CODES(X)                       \
  X(InvalidArgument, 400, kInvalidArgument, kNever) \
  X(NotFound, 404, kNotFound, kNever)               \
  X(TableNotFound, 404, kTableNotFound, kNever)     \
  X(TooLarge, 413, kTooLarge, kNever)               \
  X(Unavailable, 503, kUnavailable, kRefused)       \
  X(Timeout, 504, kTimeout, kUnknownOutcome)        \
  X(Overloaded, 429, kOverloaded, kRefused)         \
  X(Unauthorized, 401, kUnauthorized, kNever)       \
  X(Internal, 500, kInternal, kUnknownOutcome)      \
  X(UnsupportedVersion, 400, kProtocol, kNever)     \
  X(UnknownOpcode, 400, kProtocol, kNever)          \
  X(MalformedFrame, 400, kProtocol, kNever)         \
  X(TableExists, 409, kTableExists, kNever)         \
  X(ShuttingDown, 503, kShuttingDown, kRefused)

// X(StatusCode, wire ErrorCode). kOk has no error code. Failures of the node itself (corruption,
// I/O, a full disk) are Internal: the request's outcome is unknown to the client, and the
// message says what happened. kNotSupported comes from the frame version check, and from an
// admin operation the node does not offer (HandoffStatus, HandoffControl without hinted handoff;
// RepairRun, RepairStatus without repair).
#define PAIRDB_STATUS_ERROR_CODES(X)   \
  X(kNotFound, NotFound)               \
  X(kCorruption, Internal)             \
  X(kIoError, Internal)                \
  X(kNoSpace, Internal)                \
  X(kInvalidArgument, InvalidArgument) \
  X(kBusy, Overloaded)                 \
  X(kTimeout, Timeout)                 \
  X(kUnavailable, Unavailable)         \
  X(kNotSupported, UnsupportedVersion) \
  X(kTableNotFound, TableNotFound)     \
  X(kTooLarge, TooLarge)               \
  X(kOverloaded, Overloaded)           \
  X(kUnauthorized, Unauthorized)       \
  X(kTableExists, TableExists)         \
  X(kShuttingDown, ShuttingDown)
