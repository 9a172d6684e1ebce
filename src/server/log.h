// The daemon's structured log: one line per event on stderr (journald captures it under
// systemd), as text ("2026-11-22T05:20:00.123Z INFO node: ready ...") or JSON lines.
// Thread-safe; a line is written with a single write(2), so lines never interleave.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "server/config/config.h"

namespace pairdb::server {

void configure_log(LogLevel level, LogFormat format);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void log_at(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
            Args&&... args) {
  if (!log_enabled(level)) return;
  log_line(level, component, fmt::format(format, std::forward<Args>(args)...));
}

#define PAIRDB_LOG_INFO(component, ...) \
  ::pairdb::server::log_at(::pairdb::server::LogLevel::kInfo, component, __VA_ARGS__)
#define PAIRDB_LOG_WARN(component, ...) \
  ::pairdb::server::log_at(::pairdb::server::LogLevel::kWarn, component, __VA_ARGS__)
#define PAIRDB_LOG_ERROR(component, ...) \
  ::pairdb::server::log_at(::pairdb::server::LogLevel::kError, component, __VA_ARGS__)
#define PAIRDB_LOG_DEBUG(component, ...) \
  ::pairdb::server::log_at(::pairdb::server::LogLevel::kDebug, component, __VA_ARGS__)

}  // namespace pairdb::server
