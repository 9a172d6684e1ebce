// Aligned-column output for pairdb-admin.
#include "admin/table_printer.h"

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::admin {
namespace {

// Display width of UTF-8 text: code points, i.e. bytes that are not continuation bytes.
size_t display_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void print_row(std::ostream& out, const std::vector<std::string>& cells,
               const std::vector<TablePrinter::Column>& columns,
               const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    const bool last = i + 1 == cells.size();
    const size_t pad = widths[i] - display_width(cells[i]);
    if (columns[i].align == TablePrinter::Align::kRight) {
      line.append(pad, ' ');
      line += cells[i];
    } else {
      line += cells[i];
      if (!last) line.append(pad, ' ');
    }
    if (!last) line += "  ";
  }
  // Empty trailing cells leave only padding: no line ends in spaces.
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out << line << '\n';
}

}  // namespace

TablePrinter::TablePrinter(std::vector<Column> columns) : columns_(std::move(columns)) {
  PAIRDB_ASSERT(!columns_.empty());
}

void TablePrinter::add_row(std::vector<std::string> cells) {
  PAIRDB_ASSERT(cells.size() == columns_.size());
  rows_.push_back(std::move(cells));
}

void TablePrinter::print(std::ostream& out) const {
  std::vector<size_t> widths(columns_.size());
  std::vector<std::string> header;
  for (size_t i = 0; i < columns_.size(); ++i) {
    widths[i] = display_width(columns_[i].title);
    header.push_back(columns_[i].title);
  }
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  print_row(out, header, columns_, widths);
  for (const auto& row : rows_) print_row(out, row, columns_, widths);
}

void KeyValuePrinter::add(std::string key, std::string value) {
  entries_.emplace_back(std::move(key), std::move(value));
}

void KeyValuePrinter::print(std::ostream& out) const {
  size_t width = 0;
  for (const auto& [key, value] : entries_) width = std::max(width, display_width(key));
  for (const auto& [key, value] : entries_) {
    out << key << ':' << std::string(width - display_width(key) + 1, ' ') << value << '\n';
  }
}

std::string format_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string format_percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100.0); }

std::string format_duration(uint64_t ms) {
  const uint64_t seconds = ms / 1000;
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{}h", seconds / 86400, seconds % 86400 / 3600);
}

std::string format_count(uint64_t count) {
  const std::string digits = std::to_string(count);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_utc(uint64_t wall_ms) {
  const std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace pairdb::admin
