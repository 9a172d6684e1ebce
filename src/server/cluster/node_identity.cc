#include "server/cluster/node_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <openssl/rand.h>

#include <pairdb/replication/context_auth.h>
#include <pairdb/replication/storage_key.h>

#include "common/coding.h"
#include "common/rng.h"

namespace pairdb::server {
namespace {

Status write_file_durably(const std::string& dir, const std::string& name,
                          std::string_view contents, mode_t mode = 0644) {
  const std::string temp = dir + "/" + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::io_error(fmt::format("create {}: {}", temp, std::strerror(errno)));
  const bool written =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  const bool synced = written && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!synced)
    return Status::io_error(fmt::format("write {}: {}", temp, std::strerror(saved_errno)));
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    return Status::io_error(fmt::format("rename {}: {}", final_path, std::strerror(errno)));
  }
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    if (dir_fd >= 0) ::close(dir_fd);
    return Status::io_error(fmt::format("sync directory {}: {}", dir, std::strerror(errno)));
  }
  ::close(dir_fd);
  return Status::ok();
}

// Status::not_found only when the file does not exist; any other failure (permissions, a
// directory in its place) is an I/O error, so a key that exists is never silently replaced.
Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string message = fmt::format("{}: {}", path, std::strerror(error));
    return error == ENOENT ? Status::not_found(message) : Status::io_error(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::io_error(fmt::format("read {}: {}", path, std::strerror(errno)));
  return text.str();
}

Result<std::vector<std::string>> parse_key_file(const std::string& path, std::string_view text) {
  auto keys = replication::parse_context_keys(text);
  if (!keys.is_ok()) {
    return Status::invalid_argument(fmt::format("{}: {}", path, keys.status().message()));
  }
  return keys;
}

uint64_t entropy() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

Result<ring::NodeId> load_or_create_node_id(const std::string& data_dir) {
  const std::string path = data_dir + "/node_id";
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string id = text.str();
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    auto parsed = ring::NodeId::parse(id);
    if (!parsed.is_ok()) {
      return Status::corruption(
          fmt::format("{} does not hold a node id: {}", path, parsed.status().message()));
    }
    return parsed;
  }
  Rng rng(entropy());
  const ring::NodeId id = ring::NodeId::random(rng);
  PAIRDB_TRY(write_file_durably(data_dir, "node_id", id.to_string() + "\n"));
  return id;
}

Result<std::vector<std::string>> load_or_create_context_keys(const std::string& data_dir,
                                                             const std::string& key_file) {
  if (!key_file.empty()) {
    auto text = read_whole_file(key_file);
    if (!text.is_ok()) {
      return Status::invalid_argument(
          fmt::format("node.context_key_file: {}", text.status().message()));
    }
    return parse_key_file(key_file, *text);
  }
  const std::string path = data_dir + "/" + std::string(kContextKeyFileName);
  auto existing = read_whole_file(path);
  if (existing.is_ok()) return parse_key_file(path, *existing);
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  unsigned char key[32];
  static_assert(sizeof(key) >= replication::kContextKeyBytesMin);
  if (RAND_bytes(key, sizeof(key)) != 1) {
    return Status::io_error("no randomness for a fresh context key (RAND_bytes failed)");
  }
  std::string hex = "# pairdb context key: every node of a cluster must hold the same keys\n";
  for (unsigned char byte : key) hex += fmt::format("{:02x}", byte);
  hex += "\n";
  PAIRDB_TRY(write_file_durably(data_dir, std::string(kContextKeyFileName), hex, 0600));
  return parse_key_file(path, hex);
}

Result<std::vector<ring::Token>> parse_initial_tokens(std::string_view text) {
  std::vector<ring::Token> tokens;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string item(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) return Status::invalid_argument("node.initial_tokens: an empty token");
    const bool hex = item.size() > 2 && item[0] == '0' && (item[1] == 'x' || item[1] == 'X');
    const std::string digits = hex ? item.substr(2) : item;
    ring::Token token = 0;
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), token, hex ? 16 : 10);
    if (error != std::errc() || end != digits.data() + digits.size()) {
      return Status::invalid_argument(
          fmt::format("node.initial_tokens: '{}' is not a 64-bit token", item));
    }
    tokens.push_back(token);
  }
  std::vector<ring::Token> sorted = tokens;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Status::invalid_argument("node.initial_tokens: a token appears twice");
  }
  if (tokens.size() > ring::kTokensPerNodeMax) {
    return Status::invalid_argument(
        fmt::format("node.initial_tokens: more than {} tokens", ring::kTokensPerNodeMax));
  }
  return tokens;
}

Result<std::vector<ring::Token>> load_or_create_tokens(lsm::DB* db, size_t count, uint64_t seed,
                                                       const std::vector<ring::Token>& initial) {
  const std::string key =
      replication::encode_item_key(replication::kSystemTableId, "node.tokens", "");
  auto stored = db->get(lsm::ReadOptions{}, key);
  if (stored.is_ok()) {
    std::string_view in = *stored;
    std::vector<ring::Token> tokens;
    uint64_t token = 0;
    while (get_fixed64(&in, &token)) tokens.push_back(token);
    if (!in.empty() || tokens.empty() || tokens.size() > ring::kTokensPerNodeMax) {
      return Status::corruption("the node's stored ring tokens are damaged");
    }
    return tokens;
  }
  if (!stored.status().is_not_found()) return stored.status();
  Rng rng(seed ^ entropy());
  std::vector<ring::Token> tokens = initial.empty() ? ring::generate_tokens(rng, count) : initial;
  std::string encoded;
  for (ring::Token token : tokens) put_fixed64(&encoded, token);
  lsm::WriteOptions options;
  options.sync = true;
  PAIRDB_TRY(db->put(options, key, encoded));
  return tokens;
}

Status mark_clean_shutdown(const std::string& data_dir) {
  return write_file_durably(data_dir, std::string(kCleanShutdownFileName), "clean\n");
}

Result<bool> take_clean_shutdown_mark(const std::string& data_dir) {
  const std::string path = data_dir + "/" + std::string(kCleanShutdownFileName);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return Status::io_error(fmt::format("remove {}: {}", path, std::strerror(errno)));
  }
  // The removal must be durable before this run mints anything: a crash of this run must not
  // find the mark again.
  const int dir_fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    if (dir_fd >= 0) ::close(dir_fd);
    return Status::io_error(fmt::format("sync directory {}: {}", data_dir, std::strerror(errno)));
  }
  ::close(dir_fd);
  return true;
}

Result<ring::NodeId> writer_id_for_this_start(lsm::DB* db, const ring::NodeId& node,
                                              bool wal_may_lose_writes, bool after_clean_stop) {
  if (!wal_may_lose_writes) return node;
  const std::string key =
      replication::encode_item_key(replication::kSystemTableId, "node.incarnation", "");
  uint32_t incarnation = 0;
  auto stored = db->get(lsm::ReadOptions{}, key);
  if (stored.is_ok()) {
    std::string_view in = *stored;
    if (!get_fixed32(&in, &incarnation) || !in.empty()) {
      return Status::corruption("the node's stored incarnation counter is damaged");
    }
  } else if (!stored.status().is_not_found()) {
    return stored.status();
  }
  const auto writer_of = [&node](uint32_t n) {
    ring::NodeId writer = node;
    for (size_t i = 0; i < 4; ++i) writer.bytes[12 + i] = static_cast<uint8_t>(n >> (8 * (3 - i)));
    return writer;
  };
  // After a clean stop every dot the last run minted is on disk: it may go on counting.
  if (after_clean_stop && incarnation != 0) return writer_of(incarnation);
  ++incarnation;  // 0 is never used: the first such start is 1.
  if (incarnation == 0) return Status::corruption("the node's incarnation counter wrapped");
  std::string encoded;
  put_fixed32(&encoded, incarnation);
  lsm::WriteOptions options;
  options.sync = true;  // Durable before any dot is minted under it.
  PAIRDB_TRY(db->put(options, key, encoded));
  return writer_of(incarnation);
}

}  // namespace pairdb::server
