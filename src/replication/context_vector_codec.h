// The version-vector encoding shared by stored records and client contexts (version_codec.cc
// documents the bytes). Private to src/replication.
#pragma once

#include <string>
#include <string_view>

#include <pairdb/replication/version_vector.h>
#include <pairdb/status.h>

namespace pairdb::replication {

void put_context_vector(std::string* dst, const VersionVector& context);
// Consumes one vector from *in. Status::corruption for malformed bytes or more than
// entries_max entries; never allocates more than the input's size.
Result<VersionVector> get_context_vector(std::string_view* in, size_t entries_max);

}  // namespace pairdb::replication
