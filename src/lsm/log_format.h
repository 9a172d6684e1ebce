// The record format shared by WAL segments and the MANIFEST.
//
// A log file is a sequence of records, each:
//   fixed32 header_checksum   checksum32 of the next 8 bytes
//   fixed32 payload_length
//   fixed32 payload_checksum  checksum32 of the payload
//   payload
// The header has its own checksum so a damaged length is detected as damage instead of being
// trusted (a trusted bad length would swallow every later record as a "torn tail").
//
// Recovery distinguishes two kinds of damage:
//   - a torn tail: the last record of the file is incomplete, or its payload fails its checksum
//     and nothing follows it, or the header is damaged and only zero bytes follow. This is what
//     a crash during an unsynced append leaves; the record was never acknowledged as durable.
//   - corruption: a damaged record with intact data after it. Never silently skipped.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pairdb::lsm::log {

constexpr size_t kHeaderBytes = 12;
// Upper bound on one record's payload; larger lengths in a valid header are corruption.
constexpr uint32_t kRecordBytesMax = 256u << 20;

}  // namespace pairdb::lsm::log
