#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lsm/block.h"
#include "lsm/dbformat.h"
#include "lsm/format.h"
#include "lsm/table_builder.h"
#include "lsm/table_reader.h"
#include "string_file.h"

using namespace pairdb;
using namespace pairdb::lsm;
using pairdb::lsm::testing::StringRandomAccessFile;
using pairdb::lsm::testing::StringWritableFile;

namespace {

const InternalKeyComparator kComparator(bytewise_comparator());
constexpr std::string_view kFileName = "000012.sst";

struct Row {
  std::string key;  // Internal key.
  std::string value;
};
using Rows = std::vector<Row>;

TableOptions make_options(size_t block_bytes = 4096, int bloom_bits_per_key = 10,
                          int restart_interval = 16) {
  TableOptions options;
  options.comparator = &kComparator;
  options.block_bytes = block_bytes;
  options.bloom_bits_per_key = bloom_bits_per_key;
  options.block_restart_interval = restart_interval;
  return options;
}

std::string user_key_for(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// 5000 user keys "key000000", "key000003", ... with 1-3 versions each (some deletions), plus one
// user key "hot" with 60 versions: 10,060 rows sorted by the internal key order.
Rows make_rows() {
  Rows rows;
  for (int i = 0; i < 5000; ++i) {
    const std::string user = user_key_for(i * 3);
    const int versions = 1 + i % 3;
    for (int v = 0; v < versions; ++v) {
      SequenceNumber seq = static_cast<SequenceNumber>((versions - v) * 100 + i % 97);
      bool deletion = (i + v) % 5 == 0;
      ValueType type = deletion ? ValueType::kDeletion : ValueType::kValue;
      std::string value = deletion ? "" : "value-of-" + user + "@" + std::to_string(seq);
      rows.push_back({make_internal_key(user, seq, type), std::move(value)});
    }
  }
  for (SequenceNumber seq = 1; seq <= 60; ++seq) {
    rows.push_back(
        {make_internal_key("hot", seq, ValueType::kValue), "hot@" + std::to_string(seq)});
  }
  std::sort(rows.begin(), rows.end(),
            [](const Row& a, const Row& b) { return kComparator.compare(a.key, b.key) < 0; });
  return rows;
}

std::string build_table(const Rows& rows, const TableOptions& options,
                        TableProperties* properties = nullptr) {
  StringWritableFile sink;
  TableBuilder builder(options, &sink);
  for (const Row& row : rows) builder.add(row.key, row.value);
  REQUIRE(builder.finish().is_ok());
  REQUIRE(builder.entry_count() == rows.size());
  REQUIRE(builder.file_size() == sink.size());
  if (properties != nullptr) *properties = builder.properties();
  return sink.contents();
}

Result<std::shared_ptr<TableReader>> try_open(const std::string& contents,
                                              const TableOptions& options,
                                              bool own_memory = false) {
  return TableReader::open(options, std::make_unique<StringRandomAccessFile>(contents, own_memory),
                           contents.size(), std::string(kFileName));
}

std::shared_ptr<TableReader> open_table(const std::string& contents, const TableOptions& options) {
  Result<std::shared_ptr<TableReader>> reader = try_open(contents, options);
  INFO(reader.status().to_string());
  REQUIRE(reader.is_ok());
  return *reader;
}

// The answer get() must give: the first row >= lookup if it has the lookup's user key.
std::optional<Row> expected_get(const Rows& rows, std::string_view lookup) {
  auto it = std::lower_bound(rows.begin(), rows.end(), lookup, [](const Row& row, auto key) {
    return kComparator.compare(row.key, key) < 0;
  });
  if (it == rows.end() || extract_user_key(it->key) != extract_user_key(lookup)) {
    return std::nullopt;
  }
  return *it;
}

void require_get_matches(const TableReader& reader, const Rows& rows, std::string_view lookup) {
  Result<std::optional<TableReader::Entry>> got = reader.get(lookup);
  INFO(got.status().to_string());
  REQUIRE(got.is_ok());
  std::optional<Row> want = expected_get(rows, lookup);
  REQUIRE(got->has_value() == want.has_value());
  if (want) {
    REQUIRE((*got)->internal_key == want->key);
    REQUIRE((*got)->value == want->value);
  }
}

struct Layout {
  Footer footer;
  std::vector<BlockHandle> data_blocks;
};

// Locates every block of an undamaged table.
Layout read_layout(const std::string& contents) {
  Layout layout;
  Result<Footer> footer =
      Footer::decode(std::string_view(contents).substr(contents.size() - Footer::kEncodedBytes));
  REQUIRE(footer.is_ok());
  layout.footer = *footer;
  StringRandomAccessFile file(contents);
  Result<std::string> index = read_block(file, footer->index, kFileName);
  REQUIRE(index.is_ok());
  Block block(std::move(*index));
  std::unique_ptr<Iterator> it = block.new_iterator(&kComparator);
  for (it->seek_to_first(); it->valid(); it->next()) {
    std::string_view value = it->value();
    Result<BlockHandle> handle = BlockHandle::decode_from(&value);
    REQUIRE(handle.is_ok());
    layout.data_blocks.push_back(*handle);
  }
  return layout;
}

std::string flip_bit(std::string contents, uint64_t bit) {
  contents[bit / 8] ^= static_cast<char>(1u << (bit % 8));
  return contents;
}

}  // namespace

TEST_CASE("table get returns the version visible at each lookup sequence", "[table]") {
  const Rows rows = make_rows();
  REQUIRE(rows.size() >= 10'000);
  for (TableOptions options : {make_options(512, 10, 4), make_options(4096, 0, 16)}) {
    const std::shared_ptr<TableReader> reader = open_table(build_table(rows, options), options);
    for (const Row& row : rows) {
      ParsedInternalKey parsed;
      REQUIRE(parse_internal_key(row.key, &parsed));
      // At the row's own sequence, just before it, and at the latest snapshot.
      require_get_matches(*reader, rows, make_lookup_key(parsed.user_key, parsed.sequence));
      require_get_matches(*reader, rows, make_lookup_key(parsed.user_key, parsed.sequence - 1));
      require_get_matches(*reader, rows, make_lookup_key(parsed.user_key, kMaxSequenceNumber));
    }
  }
}

TEST_CASE("table get of absent user keys returns nullopt, mostly via the filter", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  const std::shared_ptr<TableReader> reader = open_table(build_table(rows, options), options);
  REQUIRE(reader->has_filter());
  std::vector<std::string> absent = {"", "a", "hot\x01", "kex", "key", "zzzz"};
  for (int i = 0; i < 5000; ++i) absent.push_back(user_key_for(i * 3 + 1));
  for (const std::string& user : absent) {
    require_get_matches(*reader, rows, make_lookup_key(user, kMaxSequenceNumber));
  }
  REQUIRE(reader->filter_checked() == absent.size());
  // 10 bits/key: ~1% false positives.
  REQUIRE(reader->filter_useful() >= absent.size() * 95 / 100);
  REQUIRE(reader->filter_useful() <= absent.size());
}

TEST_CASE("table iterator walks forward and backward over exactly the input", "[table]") {
  const Rows rows = make_rows();
  for (TableOptions options :
       {make_options(512, 10, 4), make_options(4096, 10, 16), make_options(1, 0, 1)}) {
    const std::shared_ptr<TableReader> reader = open_table(build_table(rows, options), options);
    std::unique_ptr<Iterator> it = reader->new_iterator();
    size_t i = 0;
    for (it->seek_to_first(); it->valid(); it->next(), ++i) {
      REQUIRE(i < rows.size());
      REQUIRE(it->key() == rows[i].key);
      REQUIRE(it->value() == rows[i].value);
    }
    REQUIRE(i == rows.size());
    REQUIRE(it->status().is_ok());
    for (it->seek_to_last(); it->valid(); it->prev()) {
      REQUIRE(i > 0);
      --i;
      REQUIRE(it->key() == rows[i].key);
    }
    REQUIRE(i == 0);
    REQUIRE(it->status().is_ok());
  }
}

TEST_CASE("table iterator seeks and steps across block boundaries", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options(512, 10, 4);
  const std::shared_ptr<TableReader> reader = open_table(build_table(rows, options), options);
  std::unique_ptr<Iterator> it = reader->new_iterator();
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 2000; ++trial) {
    size_t i = rng() % rows.size();
    ParsedInternalKey parsed;
    REQUIRE(parse_internal_key(rows[i].key, &parsed));
    // A target just after row i (same user key, one sequence lower) lands on row i + 1.
    it->seek(make_lookup_key(parsed.user_key, parsed.sequence == 0 ? 0 : parsed.sequence - 1));
    size_t want = (parsed.sequence == 0) ? i : i + 1;
    if (want == rows.size()) {
      REQUIRE_FALSE(it->valid());
      continue;
    }
    REQUIRE(it->valid());
    REQUIRE(it->key() == rows[want].key);
    if (want > 0) {
      it->prev();
      REQUIRE(it->key() == rows[want - 1].key);
      it->next();
    }
    if (want + 1 < rows.size()) {
      it->next();
      REQUIRE(it->key() == rows[want + 1].key);
    }
  }
  it->seek(make_lookup_key("zzz", kMaxSequenceNumber));
  REQUIRE_FALSE(it->valid());
  it->seek(make_lookup_key("", kMaxSequenceNumber));
  REQUIRE(it->key() == rows.front().key);
  REQUIRE(it->status().is_ok());
}

TEST_CASE("table iterator outlives the caller's reader handle", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  std::unique_ptr<Iterator> it = open_table(build_table(rows, options), options)->new_iterator();
  it->seek_to_last();
  REQUIRE(it->valid());
  REQUIRE(it->key() == rows.back().key);
}

TEST_CASE("table properties read back equal what the builder recorded", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  TableProperties built;
  const std::string contents = build_table(rows, options, &built);
  const std::shared_ptr<TableReader> reader = open_table(contents, options);
  REQUIRE(reader->properties() == built);
  REQUIRE(built.entry_count == rows.size());
  size_t deletions = std::count_if(rows.begin(), rows.end(), [](const Row& row) {
    return (extract_trailer(row.key) & 0xff) == static_cast<uint8_t>(ValueType::kDeletion);
  });
  REQUIRE(built.deletion_count == deletions);
  REQUIRE(built.smallest_key == rows.front().key);
  REQUIRE(built.largest_key == rows.back().key);
  REQUIRE(built.filter_bytes > 0);
  REQUIRE(built.data_bytes + built.index_bytes + built.filter_bytes < contents.size());
}

TEST_CASE("empty table opens, iterates nothing and finds nothing", "[table]") {
  for (int bits : {0, 10}) {
    const TableOptions options = make_options(4096, bits);
    TableProperties properties;
    const std::string contents = build_table({}, options, &properties);
    REQUIRE(properties.entry_count == 0);
    const std::shared_ptr<TableReader> reader = open_table(contents, options);
    std::unique_ptr<Iterator> it = reader->new_iterator();
    it->seek_to_first();
    REQUIRE_FALSE(it->valid());
    it->seek_to_last();
    REQUIRE_FALSE(it->valid());
    it->seek(make_lookup_key("a", 5));
    REQUIRE_FALSE(it->valid());
    REQUIRE(it->status().is_ok());
    Result<std::optional<TableReader::Entry>> got = reader->get(make_lookup_key("a", 5));
    REQUIRE(got.is_ok());
    REQUIRE_FALSE(got->has_value());
  }
}

TEST_CASE("table stores 1 MiB values that span many block sizes", "[table]") {
  Rows rows;
  for (int i = 0; i < 6; ++i) {
    std::string value = (i % 2 == 0) ? std::string(1 << 20, static_cast<char>('a' + i))
                                     : "small-" + std::to_string(i);
    value[value.size() / 2] = '!';  // So a truncated or shifted copy cannot match.
    rows.push_back({make_internal_key(user_key_for(i), 7, ValueType::kValue), std::move(value)});
  }
  const TableOptions options = make_options();
  const std::string contents = build_table(rows, options);
  REQUIRE(contents.size() > 3 * (1 << 20));
  for (bool own_memory : {false, true}) {
    Result<std::shared_ptr<TableReader>> reader = try_open(contents, options, own_memory);
    REQUIRE(reader.is_ok());
    for (const Row& row : rows) require_get_matches(**reader, rows, row.key);
    std::unique_ptr<Iterator> it = (*reader)->new_iterator();
    size_t i = 0;
    for (it->seek_to_first(); it->valid(); it->next(), ++i) REQUIRE(it->value() == rows[i].value);
    REQUIRE(i == rows.size());
  }
}

TEST_CASE("table data block with a flipped bit gives Corruption, never a wrong value", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  const std::string contents = build_table(rows, options);
  const Layout layout = read_layout(contents);
  REQUIRE(layout.data_blocks.size() > 10);
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 12; ++trial) {
    const BlockHandle& block = layout.data_blocks[rng() % layout.data_blocks.size()];
    uint64_t bit = block.offset * 8 + rng() % ((block.size + kBlockTrailerBytes) * 8);
    const std::shared_ptr<TableReader> reader = open_table(flip_bit(contents, bit), options);

    size_t corrupt_gets = 0;
    for (size_t r = trial % 3; r < rows.size(); r += 3) {  // Every third row keeps this fast.
      const Row& row = rows[r];
      Result<std::optional<TableReader::Entry>> got = reader->get(row.key);
      if (!got.is_ok()) {
        REQUIRE(got.status().is_corruption());
        REQUIRE(got.status().message().find(std::string(kFileName) + " at offset " +
                                            std::to_string(block.offset)) !=
                std::string_view::npos);
        ++corrupt_gets;
        continue;
      }
      REQUIRE(got->has_value());
      REQUIRE((*got)->value == row.value);
    }
    REQUIRE(corrupt_gets > 0);

    // A scan returns a correct prefix of the input, then stops with Corruption.
    std::unique_ptr<Iterator> it = reader->new_iterator();
    size_t i = 0;
    for (it->seek_to_first(); it->valid(); it->next(), ++i) {
      REQUIRE(it->key() == rows[i].key);
      REQUIRE(it->value() == rows[i].value);
    }
    REQUIRE(i < rows.size());
    REQUIRE(it->status().is_corruption());
    for (it->seek_to_last(); it->valid(); it->prev()) {
    }
    REQUIRE(it->status().is_corruption());
  }
}

TEST_CASE("table index, filter or properties block with a flipped bit fails open", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  const std::string contents = build_table(rows, options);
  const Layout layout = read_layout(contents);
  std::mt19937_64 rng(41);
  for (const BlockHandle& block :
       {layout.footer.index, layout.footer.filter, layout.footer.properties}) {
    for (int trial = 0; trial < 16; ++trial) {
      uint64_t bit = block.offset * 8 + rng() % ((block.size + kBlockTrailerBytes) * 8);
      Status status = try_open(flip_bit(contents, bit), options).status();
      INFO(status.to_string());
      REQUIRE(status.is_corruption());
      REQUIRE(status.message().find(std::string(kFileName) + " at offset " +
                                    std::to_string(block.offset)) != std::string_view::npos);
    }
  }
}

TEST_CASE("table footer with any flipped bit fails open", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  const std::string contents = build_table(rows, options);
  const uint64_t footer_start = contents.size() - Footer::kEncodedBytes;
  for (uint64_t bit = footer_start * 8; bit < contents.size() * 8; ++bit) {
    Status status = try_open(flip_bit(contents, bit), options).status();
    REQUIRE(status.is_corruption());
    REQUIRE(status.message().find("footer") != std::string_view::npos);
  }
}

TEST_CASE("table truncated or too short fails open with Corruption", "[table]") {
  const Rows rows = make_rows();
  const TableOptions options = make_options();
  const std::string contents = build_table(rows, options);
  for (size_t size :
       {size_t{0}, size_t{10}, Footer::kEncodedBytes, contents.size() / 2, contents.size() - 1}) {
    REQUIRE(try_open(contents.substr(0, size), options).status().is_corruption());
  }
  // A footer whose handles point past the file: the handle check catches it before any read.
  std::string footer_only = contents.substr(contents.size() - Footer::kEncodedBytes);
  Status status = try_open(footer_only, options).status();
  REQUIRE(status.is_corruption());
  REQUIRE(status.message().find("outside") != std::string_view::npos);
}

TEST_CASE("table builder keeps the first write error and writes nothing after it", "[table]") {
  const Rows rows = make_rows();
  StringWritableFile sink(10'000);
  TableBuilder builder(make_options(), &sink);
  for (const Row& row : rows) builder.add(row.key, row.value);
  REQUIRE(builder.status().is_io_error());
  REQUIRE(builder.finish().is_io_error());
  REQUIRE(builder.status().is_io_error());
  REQUIRE(sink.size() <= 10'000);
  REQUIRE(builder.file_size() == sink.size());
}

TEST_CASE("table builder abandon leaves a table that does not open", "[table]") {
  const Rows rows = make_rows();
  StringWritableFile sink;
  TableBuilder builder(make_options(), &sink);
  for (size_t i = 0; i < 1000; ++i) builder.add(rows[i].key, rows[i].value);
  builder.abandon();
  REQUIRE(try_open(sink.contents(), make_options()).status().is_corruption());
}
