// The bench's streaming JSON writer.
#include "json_writer.h"

#include <cmath>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::bench {

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_in_scope_.empty()) {
    if (!first_in_scope_.back()) out_ += ',';
    first_in_scope_.back() = false;
  }
}

void JsonWriter::append_escaped(std::string_view text) {
  out_ += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += c;
    } else if (c == '\n') {
      out_ += "\\n";
    } else if (byte < 0x20) {
      out_ += fmt::format("\\u{:04x}", byte);
    } else {
      out_ += c;
    }
  }
  out_ += '"';
}

JsonWriter& JsonWriter::open_scope(char bracket) {
  before_value();
  out_ += bracket;
  first_in_scope_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::close_scope(char bracket) {
  PAIRDB_ASSERT(!first_in_scope_.empty());
  first_in_scope_.pop_back();
  out_ += bracket;
  return *this;
}

JsonWriter& JsonWriter::literal(std::string_view text) {
  before_value();
  out_ += text;
  return *this;
}

JsonWriter& JsonWriter::begin_object() { return open_scope('{'); }
JsonWriter& JsonWriter::end_object() { return close_scope('}'); }
JsonWriter& JsonWriter::begin_array() { return open_scope('['); }
JsonWriter& JsonWriter::end_array() { return close_scope(']'); }

JsonWriter& JsonWriter::key(std::string_view name) {
  PAIRDB_ASSERT(!after_key_);
  before_value();
  append_escaped(name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  before_value();
  append_escaped(text);
  return *this;
}

JsonWriter& JsonWriter::value(double number) {
  if (!std::isfinite(number)) return null();
  return literal(fmt::format("{}", number));
}

JsonWriter& JsonWriter::value(uint64_t number) { return literal(std::to_string(number)); }
JsonWriter& JsonWriter::value(int64_t number) { return literal(std::to_string(number)); }
JsonWriter& JsonWriter::value(bool flag) { return literal(flag ? "true" : "false"); }
JsonWriter& JsonWriter::null() { return literal("null"); }

const std::string& JsonWriter::str() const {
  PAIRDB_ASSERT(first_in_scope_.empty());
  PAIRDB_ASSERT(!after_key_);
  return out_;
}

}  // namespace pairdb::bench
