#include "server/http_json.h"

#include <fmt/format.h>

#include "common/base64.h"

namespace pairdb::server {

namespace http = boost::beast::http;
namespace json = boost::json;

http::status http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return http::status::ok;
    case StatusCode::kInvalidArgument:
      return http::status::bad_request;
    case StatusCode::kNotFound:
    case StatusCode::kTableNotFound:
      return http::status::not_found;
    case StatusCode::kTooLarge:
      return http::status::payload_too_large;
    case StatusCode::kUnavailable:
      return http::status::service_unavailable;
    case StatusCode::kTimeout:
      return http::status::gateway_timeout;
    case StatusCode::kOverloaded:
    case StatusCode::kBusy:
      return http::status::too_many_requests;
    case StatusCode::kUnauthorized:
      return http::status::unauthorized;
    default:
      return http::status::internal_server_error;
  }
}

std::string_view error_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kTableNotFound:
      return "TableNotFound";
    case StatusCode::kTooLarge:
      return "TooLarge";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kTimeout:
      return "Timeout";
    case StatusCode::kOverloaded:
    case StatusCode::kBusy:
      return "Overloaded";
    case StatusCode::kUnauthorized:
      return "Unauthorized";
    default:
      return "Internal";
  }
}

net::HttpResponse json_response(http::status status, const json::value& body, unsigned version) {
  net::HttpResponse response(status, version);
  response.set(http::field::content_type, kJsonContentType);
  response.body() = json::serialize(body);
  response.body().push_back('\n');
  return response;
}

net::HttpResponse error_response(const Status& status, unsigned version) {
  json::object error;
  error["code"] = error_code_name(status.code());
  error["message"] = status.message();
  return json_response(http_status_for(status.code()), json::object{{"error", error}}, version);
}

bool is_json_content_type(std::string_view content_type) {
  return content_type.starts_with("application/json") ||
         (content_type.starts_with("application/") && content_type.find("+json") != std::string_view::npos);
}

namespace {

bool is_utf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    size_t extra = 0;
    if (c < 0x80) extra = 0;
    else if ((c >> 5) == 0x6 && c >= 0xc2) extra = 1;
    else if ((c >> 4) == 0xe) extra = 2;
    else if ((c >> 3) == 0x1e && c <= 0xf4) extra = 3;
    else return false;
    if (extra > 0 && i + extra >= bytes.size()) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<uint8_t>(bytes[i + k]) >> 6) != 0x2) return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

void put_bytes(json::object& out, std::string_view name, std::string_view bytes) {
  if (is_utf8(bytes)) {
    out[name] = bytes;
  } else {
    out[fmt::format("{}_base64", name)] = base64url_encode(bytes);
  }
}

void put_sibling(json::object& out, const replication::Sibling& sibling) {
  bool done = false;
  if (is_json_content_type(sibling.content_type)) {
    boost::system::error_code ec;
    json::value parsed = json::parse(sibling.value, ec);
    if (!ec) {
      out["value"] = std::move(parsed);
      done = true;
    }
  }
  if (!done) put_bytes(out, "value", sibling.value);
  out["content_type"] = sibling.content_type;
  out["timestamp"] = sibling.timestamp.value;
  if (sibling.expires_at_ms != 0) out["expires_at_ms"] = sibling.expires_at_ms;
}

json::object table_info_to_json(const TableInfo& info) {
  json::object replication;
  for (const auto& dc : info.spec.replication) replication[dc.dc] = dc.rf;
  return json::object{
      {"name", info.spec.name},
      {"owner", info.spec.owner},
      {"id", fmt::format("{:016x}", info.id)},
      {"replication", replication},
      {"read_consistency", replication::consistency_name(info.spec.read_consistency)},
      {"write_consistency", replication::consistency_name(info.spec.write_consistency)},
      {"conflict_mode", conflict_mode_name(info.spec.conflict_mode)},
      {"default_ttl_ms", info.spec.default_ttl_ms},
      {"siblings_warn", info.spec.siblings_warn},
      {"siblings_max", info.spec.siblings_max},
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
      return Status::invalid_argument(fmt::format("replication factor for '{}' must be 1..64",
                                                  std::string_view(dc)));
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
    PAIRDB_ASSIGN_OR_RETURN(command.conflict_mode, parse_conflict_mode(mode->as_string()));
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
