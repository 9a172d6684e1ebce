// A tiny streaming JSON writer: objects, arrays, strings, numbers, booleans and null, with commas
// placed automatically. Enough for the bench's report; no parsing.
// Not thread-safe. The caller balances begin/end; the nesting depth is asserted at str().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pairdb::bench {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Inside an object: the key of the next value.
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(double number);  // Non-finite numbers are written as null.
  JsonWriter& value(uint64_t number);
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(static_cast<int64_t>(number)); }
  JsonWriter& value(bool flag);
  JsonWriter& null();

  // REQUIRES: every object and array is closed.
  const std::string& str() const;

 private:
  void before_value();
  void append_escaped(std::string_view text);
  // Opens or closes an object ('{', '}') or an array ('[', ']').
  JsonWriter& open_scope(char bracket);
  JsonWriter& close_scope(char bracket);
  // Writes a number, true, false or null as given.
  JsonWriter& literal(std::string_view text);

  std::string out_;
  std::vector<bool> first_in_scope_;  // One entry per open object or array.
  bool after_key_ = false;
};

}  // namespace pairdb::bench
