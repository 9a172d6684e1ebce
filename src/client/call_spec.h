// CallSpec: everything RequestRunner needs to run one logical call, independent of its
// request and result types. Built by async_client.cc for each operation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <pairdb/client/error.h>

#include "client/error_mapping.h"
#include "net/frame.h"

namespace pairdb::client {

struct CallSpec {
  net::Opcode opcode = net::Opcode::kPing;
  CallKind kind = CallKind::kRead;
  bool has_idempotency_key = false;
  std::optional<uint64_t> token;  // Routes to the key's replicas when set.
  std::string node_address;       // When set, the only node this call may go to.
  uint32_t timeout_ms = 0;        // The whole call's deadline. REQUIRES: > 0 when run.
  // The payload for one attempt, given the server-side timeout to embed.
  std::function<std::string(uint32_t server_timeout_ms)> encode;
  // Receives the final outcome once, on the core's strand: a response frame (success or a
  // non-retryable error frame) or a client-side Error.
  std::function<void(Expected<net::Frame>)> complete;
};

}  // namespace pairdb::client
