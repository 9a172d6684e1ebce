// Shared by the libFuzzer targets: every decoder of bytes from outside the process (files,
// datagrams) must turn any input into a value or a Status, never a crash, hang or leak.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lsm/faulty_env.h"

namespace pairdb::fuzz {

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Writes the input as /fuzz/<name> in a fresh in-memory Env.
inline void put_file(lsm::FaultyEnv& env, const std::string& path, std::string_view bytes) {
  (void)env.create_dir_if_missing("/fuzz");
  auto file = env.new_writable_file(path);
  if (file.is_ok()) (void)(*file)->append(bytes);
}

}  // namespace pairdb::fuzz
