#include "server/http/http_target.h"

#include <fmt/format.h>

namespace pairdb::server {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpTarget::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return Status::invalid_argument("truncated percent-escape in request target");
      }
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        return Status::invalid_argument(
            fmt::format("bad percent-escape '%{}{}' in request target", text[i + 1], text[i + 2]));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<HttpTarget> parse_http_target(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    return Status::invalid_argument("request target must be an absolute path");
  }
  HttpTarget parsed;
  const size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  while (!path.empty()) {
    path.remove_prefix(1);  // The '/'.
    const size_t slash = path.find('/');
    const std::string_view raw = path.substr(0, slash);
    PAIRDB_ASSIGN_OR_RETURN(auto segment, percent_decode(raw, false));
    if (!segment.empty() || slash != std::string_view::npos) {
      parsed.segments.push_back(std::move(segment));
    }
    path = slash == std::string_view::npos ? "" : path.substr(slash);
  }
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    PAIRDB_ASSIGN_OR_RETURN(auto name, percent_decode(pair.substr(0, equals), true));
    std::string value;
    if (equals != std::string_view::npos) {
      PAIRDB_ASSIGN_OR_RETURN(value, percent_decode(pair.substr(equals + 1), true));
    }
    parsed.query[std::move(name)] = std::move(value);
  }
  return parsed;
}

}  // namespace pairdb::server
