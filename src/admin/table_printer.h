// TablePrinter: rows of text printed as aligned columns under a header, as nodetool does.
// Columns are as wide as their widest cell (counted in UTF-8 code points) and separated by two
// spaces; columns marked right-aligned (numbers) pad on the left. The last column is not padded,
// so no line ends in spaces.
// Not thread-safe. Every row has exactly as many cells as the header (asserted).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace pairdb::admin {

class TablePrinter {
 public:
  enum class Align { kLeft, kRight };

  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };

  explicit TablePrinter(std::vector<Column> columns);

  // REQUIRES: cells.size() equals the number of columns.
  void add_row(std::vector<std::string> cells);
  size_t row_count() const { return rows_.size(); }

  void print(std::ostream& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "Key: value" lines with the values aligned, for single-record output (info, describe).
class KeyValuePrinter {
 public:
  void add(std::string key, std::string value);
  void print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// 1536 -> "1.5 KiB"; below 1 KiB the plain byte count ("512 B").
std::string format_bytes(uint64_t bytes);
// 0.1234 -> "12.3%".
std::string format_percent(double fraction);
// A duration in its two largest units: 45'000 -> "45s", 192'000 -> "3m12s",
// 11'520'000 -> "3h12m", 273'600'000 -> "3d4h".
std::string format_duration(uint64_t ms);
// A count with thousands separators: 1234567 -> "1,234,567".
std::string format_count(uint64_t count);
// Unix milliseconds as UTC to the second: "2026-12-07 13:43:03".
std::string format_utc(uint64_t wall_ms);

}  // namespace pairdb::admin
