#include "server/http/http_json.h"

#include <fmt/format.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "common/assert.h"
#include "common/base64.h"
#include "common/utf8.h"
#include "net/wire.h"

namespace pairdb::server {

namespace http = boost::beast::http;
namespace json = boost::json;

http::status http_status_for(StatusCode code) {
  if (code == StatusCode::kOk) return http::status::ok;
  return static_cast<http::status>(net::http_status_for(net::error_code_for(code)));
}

std::string_view error_code_name(StatusCode code) {
  PAIRDB_ASSERT(code != StatusCode::kOk);
  return net::error_code_name(net::error_code_for(code));
}

net::HttpResponse json_response(http::status status, const json::value& body, unsigned version,
                                const RawJsonSlots* raw) {
  net::HttpResponse response(status, version);
  response.set(http::field::content_type, kJsonContentType);
  response.body() = raw != nullptr ? raw->render(body) : json::serialize(body);
  PAIRDB_DASSERT(is_utf8(response.body()));
  response.body().push_back('\n');
  return response;
}

net::HttpResponse error_response(const Status& status, unsigned version) {
  json::object error;
  error["code"] = error_code_name(status.code());
  error["message"] = printable_utf8(status.message());
  if (const auto quorum = status.quorum()) {
    error["required"] = quorum->required;
    error["achieved"] = quorum->achieved;
  }
  net::HttpResponse response =
      json_response(http_status_for(status.code()), json::object{{"error", error}}, version);
  // A node that is stopping refuses new requests; any other node can take them at once.
  if (status.code() == StatusCode::kShuttingDown) response.set(http::field::retry_after, "1");
  return response;
}

bool is_json_content_type(std::string_view content_type) {
  return content_type.starts_with("application/json") ||
         (content_type.starts_with("application/") &&
          content_type.find("+json") != std::string_view::npos);
}

void put_bytes(json::object& out, std::string_view name, std::string_view bytes) {
  if (is_utf8(bytes)) {
    out[name] = bytes;
  } else {
    out[fmt::format("{}_base64", name)] = base64url_encode(bytes);
  }
}

RawJsonSlots::RawJsonSlots() {
  unsigned char nonce[16];
  PAIRDB_ASSERT(RAND_bytes(nonce, sizeof(nonce)) == 1);
  marker_prefix_ = "\x01pairdb-raw-json:";
  for (unsigned char byte : nonce) marker_prefix_ += fmt::format("{:02x}", byte);
  marker_prefix_ += ':';
}

json::string RawJsonSlots::placeholder(std::string_view raw_json) {
  texts_.emplace_back(raw_json);
  return json::string(fmt::format("{}{}", marker_prefix_, texts_.size() - 1));
}

std::string RawJsonSlots::render(const json::value& document) const {
  std::string text = json::serialize(document);
  if (texts_.empty()) return text;
  // How the serializer spells a placeholder up to its index: opening quote, escaped prefix.
  std::string needle = json::serialize(json::string(marker_prefix_));
  needle.pop_back();  // The closing quote.
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (size_t found = text.find(needle); found != std::string::npos;
       found = text.find(needle, at)) {
    const size_t digits = found + needle.size();
    const size_t close = text.find('"', digits);
    size_t index = texts_.size();
    if (close != std::string::npos && close > digits && close - digits <= 9 &&
        std::all_of(text.begin() + digits, text.begin() + close, ::isdigit)) {
      index = std::stoul(text.substr(digits, close - digits));
    }
    // Only this instance knows the nonce, so every match is one of its placeholders; anything
    // else is left as the string it is.
    PAIRDB_DASSERT(index < texts_.size());
    if (index >= texts_.size()) {
      out.append(text, at, digits - at);
      at = digits;
      continue;
    }
    out.append(text, at, found - at);
    out.append(texts_[index]);
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  return out;
}

bool is_embeddable_json(std::string_view text) {
  if (!is_utf8(text)) return false;
  boost::system::error_code ec;
  json::parse(text, ec);
  return !ec;
}

void put_sibling(json::object& out, const replication::Sibling& sibling, RawJsonSlots& raw) {
  if (is_json_content_type(sibling.content_type) && is_embeddable_json(sibling.value)) {
    // Emitted as stored, so numbers and their spelling survive exactly.
    out["value"] = raw.placeholder(sibling.value);
  } else {
    put_bytes(out, "value", sibling.value);
  }
  out["content_type"] = printable_utf8(sibling.content_type);
  out["timestamp"] = sibling.timestamp.value;
  if (sibling.expires_at_ms != 0) out["expires_at_ms"] = sibling.expires_at_ms;
}

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view text, size_t at) {
  while (at < text.size() && is_json_space(text[at])) ++at;
  return at;
}

// At an opening quote: the position after the closing one.
size_t skip_string(std::string_view text, size_t at) {
  for (++at; at < text.size() && text[at] != '"'; ++at) {
    if (text[at] == '\\') ++at;
  }
  return at + 1;
}

// At a value's first byte: the position after its last.
size_t skip_value(std::string_view text, size_t at) {
  if (text[at] == '"') return skip_string(text, at);
  if (text[at] != '{' && text[at] != '[') {
    while (at < text.size() && !is_json_space(text[at]) && text[at] != ',' && text[at] != '}' &&
           text[at] != ']') {
      ++at;
    }
    return at;
  }
  size_t depth = 0;
  do {
    if (text[at] == '"') {
      at = skip_string(text, at);
      continue;
    }
    if (text[at] == '{' || text[at] == '[') ++depth;
    if (text[at] == '}' || text[at] == ']') --depth;
    ++at;
  } while (depth > 0 && at < text.size());
  return at;
}

bool key_equals(std::string_view quoted_key, std::string_view name) {
  if (quoted_key.find('\\') == std::string_view::npos) {
    return quoted_key.substr(1, quoted_key.size() - 2) == name;
  }
  boost::system::error_code ec;
  json::value key = json::parse(quoted_key, ec);
  return !ec && key.is_string() && key.as_string() == name;
}

}  // namespace

Result<std::string_view> top_level_member_text(std::string_view document, std::string_view name) {
  size_t at = skip_space(document, 0);
  PAIRDB_ASSERT(at < document.size() && document[at] == '{');
  std::string_view found;
  at = skip_space(document, at + 1);
  while (at < document.size() && document[at] == '"') {
    const size_t key_end = skip_string(document, at);
    const bool match = key_equals(document.substr(at, key_end - at), name);
    const size_t value_at = skip_space(document, skip_space(document, key_end) + 1);  // ':'
    const size_t value_end = skip_value(document, value_at);
    if (match) {
      if (!found.empty()) {
        return Status::invalid_argument(fmt::format("\"{}\" appears twice in the body", name));
      }
      found = document.substr(value_at, value_end - value_at);
    }
    at = skip_space(document, value_end);
    if (at < document.size() && document[at] == ',') at = skip_space(document, at + 1);
  }
  return found;
}

json::object table_info_to_json(const replication::TableInfo& info) {
  json::object replication;
  for (const auto& dc : info.spec.replication) replication[printable_utf8(dc.dc)] = dc.rf;
  return json::object{
      {"name", info.spec.name},
      {"owner", printable_utf8(info.spec.owner)},
      {"id", fmt::format("{:016x}", info.id)},
      {"replication", replication},
      {"read_consistency", replication::consistency_name(info.spec.read_consistency)},
      {"write_consistency", replication::consistency_name(info.spec.write_consistency)},
      {"conflict_mode", replication::conflict_mode_name(info.spec.conflict_mode)},
      {"default_ttl_ms", info.spec.default_ttl_ms},
      {"siblings_warn", info.spec.siblings_warn},
      {"siblings_max", info.spec.siblings_max},
      {"read_repair", replication::read_repair_name(info.spec.read_repair)},
      {"sloppy_quorum", info.spec.sloppy_quorum},
      {"created_at_ms", info.created_at_ms},
      {"schema_version", info.schema_version},
  };
}

namespace {

Result<uint64_t> get_uint(const json::object& body, std::string_view key) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr) return uint64_t{0};
  if (value->is_uint64()) return value->as_uint64();
  if (value->is_int64() && value->as_int64() >= 0) return static_cast<uint64_t>(value->as_int64());
  return Status::invalid_argument(fmt::format("'{}' must be a non-negative integer", key));
}

Result<replication::Consistency> get_consistency(const json::object& body, std::string_view key) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr) return replication::Consistency::kDefault;
  const json::string* text = value->if_string();
  auto level = text ? replication::parse_consistency(*text) : std::nullopt;
  if (!level) return Status::invalid_argument(fmt::format("'{}' is not a consistency level", key));
  return *level;
}

Status read_replication(const json::object& body, CreateTableCommand* command) {
  const json::value* value = body.if_contains("replication");
  if (value == nullptr) return Status::ok();
  const json::object* map = value->if_object();
  if (map == nullptr) return Status::invalid_argument("'replication' must be an object {dc: rf}");
  for (const auto& [dc, rf] : *map) {
    if (!rf.is_int64() || rf.as_int64() < 1 || rf.as_int64() > 64) {
      return Status::invalid_argument(
          fmt::format("replication factor for '{}' must be 1..64", std::string_view(dc)));
    }
    command->replication.push_back({std::string(dc), static_cast<uint32_t>(rf.as_int64())});
  }
  return Status::ok();
}

}  // namespace

Result<CreateTableCommand> table_command_from_json(std::string name, std::string_view body) {
  CreateTableCommand command;
  command.name = std::move(name);
  if (body.empty()) return command;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return Status::invalid_argument(fmt::format("malformed JSON: {}", ec.message()));
  const json::object* object = parsed.if_object();
  if (object == nullptr) return Status::invalid_argument("table body must be a JSON object");
  PAIRDB_TRY(read_replication(*object, &command));
  if (const json::value* owner = object->if_contains("owner")) {
    if (!owner->is_string()) return Status::invalid_argument("'owner' must be a string");
    command.owner = owner->as_string();
  }
  if (const json::value* mode = object->if_contains("conflict_mode")) {
    if (!mode->is_string()) return Status::invalid_argument("'conflict_mode' must be a string");
    PAIRDB_ASSIGN_OR_RETURN(command.conflict_mode,
                            replication::parse_conflict_mode(mode->as_string()));
  }
  if (const json::value* repair = object->if_contains("read_repair")) {
    if (!repair->is_string()) return Status::invalid_argument("'read_repair' must be a string");
    PAIRDB_ASSIGN_OR_RETURN(command.read_repair,
                            replication::parse_read_repair(repair->as_string()));
  }
  if (const json::value* sloppy = object->if_contains("sloppy_quorum")) {
    if (!sloppy->is_bool()) {
      return Status::invalid_argument("'sloppy_quorum' must be true or false");
    }
    command.sloppy_quorum = sloppy->as_bool();
  }
  PAIRDB_ASSIGN_OR_RETURN(command.read_consistency, get_consistency(*object, "read_consistency"));
  PAIRDB_ASSIGN_OR_RETURN(command.write_consistency, get_consistency(*object, "write_consistency"));
  PAIRDB_ASSIGN_OR_RETURN(command.default_ttl_ms, get_uint(*object, "default_ttl_ms"));
  PAIRDB_ASSIGN_OR_RETURN(auto warn, get_uint(*object, "siblings_warn"));
  PAIRDB_ASSIGN_OR_RETURN(auto max, get_uint(*object, "siblings_max"));
  if (warn > 100000 || max > 100000) return Status::invalid_argument("sibling bounds too large");
  command.siblings_warn = static_cast<uint32_t>(warn);
  command.siblings_max = static_cast<uint32_t>(max);
  return command;
}

}  // namespace pairdb::server
