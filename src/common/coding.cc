#include "common/coding.h"

namespace pairdb {

char* encode_varint32(char* dst, uint32_t v) { return encode_varint64(dst, v); }

char* encode_varint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

void put_varint32(std::string* dst, uint32_t v) { put_varint64(dst, v); }

void put_varint64(std::string* dst, uint64_t v) {
  char buf[kVarint64BytesMax];
  char* end = encode_varint64(buf, v);
  dst->append(buf, end - buf);
}

int varint_length(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

const char* decode_varint64(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    if (shift == 63 && byte > 1) return nullptr;  // Overflows 64 bits.
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

const char* decode_varint32_multibyte(const char* p, const char* limit, uint32_t* v) {
  uint64_t wide = 0;
  const char* end = decode_varint64(p, limit, &wide);
  if (end == nullptr || wide > UINT32_MAX || end - p > kVarint32BytesMax) return nullptr;
  *v = static_cast<uint32_t>(wide);
  return end;
}

bool get_varint32(std::string_view* input, uint32_t* v) {
  const char* end = decode_varint32(input->data(), input->data() + input->size(), v);
  if (end == nullptr) return false;
  input->remove_prefix(end - input->data());
  return true;
}

bool get_varint64(std::string_view* input, uint64_t* v) {
  const char* end = decode_varint64(input->data(), input->data() + input->size(), v);
  if (end == nullptr) return false;
  input->remove_prefix(end - input->data());
  return true;
}

bool get_fixed32(std::string_view* input, uint32_t* v) {
  if (input->size() < 4) return false;
  *v = decode_fixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool get_fixed64(std::string_view* input, uint64_t* v) {
  if (input->size() < 8) return false;
  *v = decode_fixed64(input->data());
  input->remove_prefix(8);
  return true;
}

void put_length_prefixed(std::string* dst, std::string_view value) {
  put_varint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}

bool get_length_prefixed(std::string_view* input, std::string_view* value) {
  uint32_t len = 0;
  if (!get_varint32(input, &len) || input->size() < len) return false;
  *value = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace pairdb
