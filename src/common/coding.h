// Little-endian fixed-width and varint encodings used by every on-disk and in-memory format.
// Decoders never read past the input they are given; a short or malformed input yields false /
// nullopt so the caller can report Corruption.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace pairdb {

constexpr int kVarint32BytesMax = 5;
constexpr int kVarint64BytesMax = 10;

inline void encode_fixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, sizeof(v)); }
inline void encode_fixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, sizeof(v)); }
inline uint32_t decode_fixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline uint64_t decode_fixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pairdb formats assume little-endian");

inline void put_fixed32(std::string* dst, uint32_t v) {
  char buf[4];
  encode_fixed32(buf, v);
  dst->append(buf, 4);
}
inline void put_fixed64(std::string* dst, uint64_t v) {
  char buf[8];
  encode_fixed64(buf, v);
  dst->append(buf, 8);
}

// Big-endian u64, for keys that must sort numerically as bytes. get_big_endian64 REQUIRES at
// least 8 bytes.
inline void put_big_endian64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}
inline uint64_t get_big_endian64(std::string_view src) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(src[i]);
  return v;
}

// Writes v to dst (which has room for kVarint64BytesMax bytes); returns one past the last byte.
char* encode_varint32(char* dst, uint32_t v);
char* encode_varint64(char* dst, uint64_t v);
void put_varint32(std::string* dst, uint32_t v);
void put_varint64(std::string* dst, uint64_t v);
int varint_length(uint64_t v);

// Parses a varint from [p, limit); returns one past it, or nullptr if malformed or truncated.
const char* decode_varint32_multibyte(const char* p, const char* limit, uint32_t* v);
const char* decode_varint64(const char* p, const char* limit, uint64_t* v);
// Inline for the common one-byte case: memtable and block comparisons decode lengths this way
// on every step of a search.
inline const char* decode_varint32(const char* p, const char* limit, uint32_t* v) {
  if (p < limit) {
    uint32_t byte = static_cast<unsigned char>(*p);
    if ((byte & 0x80) == 0) {
      *v = byte;
      return p + 1;
    }
  }
  return decode_varint32_multibyte(p, limit, v);
}

// Consume from the front of *input; false (input unspecified) when malformed.
bool get_varint32(std::string_view* input, uint32_t* v);
bool get_varint64(std::string_view* input, uint64_t* v);
bool get_fixed32(std::string_view* input, uint32_t* v);
bool get_fixed64(std::string_view* input, uint64_t* v);

// A varint32 length followed by that many bytes.
void put_length_prefixed(std::string* dst, std::string_view value);
bool get_length_prefixed(std::string_view* input, std::string_view* value);

}  // namespace pairdb
