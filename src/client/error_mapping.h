// How server error codes, transport failures and client-side checks become the SDK's Errc, and
// which failures a request may be retried after. Pure functions, safe from any thread.
#pragma once

#include <string>

#include <pairdb/client/error.h>

#include "net/schema/client_generated.h"

namespace pairdb::client {

// The Errc for a server error code; unknown codes read as kInternal (PROTOCOL.md §9).
Errc errc_from_wire(wire::ErrorCode code);

// What kind of call failed, for the retry decision.
enum class CallKind : uint8_t {
  kRead,   // Get, Query and admin reads: repeating them changes nothing.
  kWrite,  // Put, Delete and admin changes: repeating one may apply it twice.
};

struct RetryQuestion {
  CallKind kind = CallKind::kRead;
  bool has_idempotency_key = false;
  // False when the request never left the client (no connection, queue refused): whatever
  // the error, nothing was applied.
  bool request_sent = true;
};

// True when sending the same request again cannot apply a write twice:
// - the request never reached a server, or the server refused it unstarted (kOverloaded,
//   kUnavailable, kShuttingDown; net::is_retry_safe);
// - the outcome is unknown (kTimeout, kInternal, kConnection) and the call is a read or a
//   write with an idempotency key.
// Never for errors that repeat identically (kInvalidArgument, kTableNotFound, kTooLarge, ...).
bool is_retryable(Errc code, const RetryQuestion& question);

}  // namespace pairdb::client
