// Internal keys: how the engine versions user keys.
//
// An internal key is the user key followed by an 8-byte little-endian trailer
// (sequence << 8 | type). Internal keys order by user key ascending (under the user
// comparator), then by sequence descending, then type descending, so that for one user key the
// newest entry comes first and a seek to (key, snapshot_seq) lands on the newest entry visible
// at that snapshot. Memtables, SSTables and the MANIFEST's smallest/largest keys all use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <pairdb/lsm/comparator.h>

#include "common/assert.h"
#include "common/coding.h"

namespace pairdb::lsm {

using SequenceNumber = uint64_t;
// Sequence numbers use 56 bits so the type fits beside them in the trailer.
constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;
constexpr size_t kInternalKeyTrailerBytes = 8;

enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
};
// Seeking with this type finds every entry with sequence <= the seek sequence (types sort
// descending, so the largest type must be used).
constexpr ValueType kValueTypeForSeek = ValueType::kValue;

inline uint64_t pack_sequence_and_type(SequenceNumber seq, ValueType type) {
  PAIRDB_DASSERT(seq <= kMaxSequenceNumber);
  return (seq << 8) | static_cast<uint8_t>(type);
}

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kValue;
};

inline void append_internal_key(std::string* dst, std::string_view user_key, SequenceNumber seq,
                                ValueType type) {
  dst->append(user_key);
  put_fixed64(dst, pack_sequence_and_type(seq, type));
}

inline std::string make_internal_key(std::string_view user_key, SequenceNumber seq,
                                     ValueType type) {
  std::string out;
  out.reserve(user_key.size() + kInternalKeyTrailerBytes);
  append_internal_key(&out, user_key, seq, type);
  return out;
}

// False when the bytes are not a well-formed internal key (too short or unknown type).
inline bool parse_internal_key(std::string_view internal_key, ParsedInternalKey* out) {
  if (internal_key.size() < kInternalKeyTrailerBytes) return false;
  uint64_t trailer = decode_fixed64(internal_key.data() + internal_key.size() - 8);
  uint8_t type = trailer & 0xff;
  if (type > static_cast<uint8_t>(ValueType::kValue)) return false;
  out->user_key = internal_key.substr(0, internal_key.size() - 8);
  out->sequence = trailer >> 8;
  out->type = static_cast<ValueType>(type);
  return true;
}

// REQUIRES: internal_key.size() >= 8
inline std::string_view extract_user_key(std::string_view internal_key) {
  PAIRDB_DASSERT(internal_key.size() >= kInternalKeyTrailerBytes);
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerBytes);
}

// REQUIRES: internal_key.size() >= 8
inline uint64_t extract_trailer(std::string_view internal_key) {
  return decode_fixed64(internal_key.data() + internal_key.size() - kInternalKeyTrailerBytes);
}

// Orders internal keys as described at the top of this file. Stateless; thread-safe.
class InternalKeyComparator final : public Comparator {
 public:
  explicit InternalKeyComparator(const Comparator* user_comparator)
      : user_comparator_(user_comparator) {}

  int compare(std::string_view a, std::string_view b) const override {
    int r = user_comparator_->compare(extract_user_key(a), extract_user_key(b));
    if (r != 0) return r;
    uint64_t ta = extract_trailer(a);
    uint64_t tb = extract_trailer(b);
    if (ta > tb) return -1;
    if (ta < tb) return +1;
    return 0;
  }
  std::string_view name() const override { return "pairdb.InternalKeyComparator"; }
  const Comparator* user_comparator() const { return user_comparator_; }

 private:
  const Comparator* user_comparator_;
};

// The internal key to seek to when reading user_key at snapshot sequence `seq`.
inline std::string make_lookup_key(std::string_view user_key, SequenceNumber seq) {
  return make_internal_key(user_key, seq, kValueTypeForSeek);
}

}  // namespace pairdb::lsm
