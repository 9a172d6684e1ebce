// Encodes GossipMessages as FlatBuffers (src/gossip/schema/gossip.fbs) and decodes them after
// running flatbuffers::Verifier. Stateless functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include <pairdb/status.h>

#include "gossip/messages.h"

namespace pairdb::gossip {

// Status::invalid_argument when a field exceeds its limit (address, name, token count, update
// count) or when the encoded datagram would exceed kDatagramBytesMax (kMetaMessageBytesMax for
// the stream channel). The core never produces such messages; the check guards the boundary.
Result<std::string> encode_message(const GossipMessage& msg);

// Status::corruption for bytes that fail verification, miss a required field, carry an unknown
// enum value or exceed a limit. Never crashes on any input.
Result<GossipMessage> decode_message(std::string_view bytes);

}  // namespace pairdb::gossip
