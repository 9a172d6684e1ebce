// Anti-entropy over the internode protocol: the translation between replication's repair
// messages (replication/repair_protocol.h, plain values that know nothing of the wire) and the
// net structs the internode codec frames (net/internode.h, which may not depend on replication).
// A token range travels as (range_start, range_end], a node id as its kNodeIdBytes raw bytes.
//
// Every replication message has a wire form, so *_to_wire cannot fail. *_from_wire refuse what
// the wire form can hold and the replication one cannot, or no correct peer sends (a node id of
// the wrong length, more replicas than any range has) with Status::corruption. What a request
// asks for (its table, depth, leaves) is the RepairResponder's to check.
// Stateless functions, safe from any thread.
#pragma once

#include <pairdb/status.h>

#include "net/internode.h"
#include "replication/repair_protocol.h"

namespace pairdb::server {

// True for the five repair requests (RepairTree ... RepairDone).
bool is_repair_request(const net::internode::Request& request);

// REQUIRES: a RepairDoneRequest names at most ring::kReplicationFactorMax replicas.
net::internode::Request repair_request_to_wire(const replication::RepairRequest& request);
// Status::invalid_argument for a request that is not a repair one; Status::corruption as above.
Result<replication::RepairRequest> repair_request_from_wire(const net::internode::Request& request);

net::internode::Response repair_reply_to_wire(const replication::RepairReply& reply);
// Status::invalid_argument for a response that is not a repair reply, a refusal
// (InternodeError) included: callers read that one with status_of (replication_driver.h).
Result<replication::RepairReply> repair_reply_from_wire(const net::internode::Response& response);

}  // namespace pairdb::server
