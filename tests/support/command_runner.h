// Runs a program to completion for tests of command-line tools: argv in, exit status, stdout
// and stderr out. Standard input is `stdin_text` (then closed). A program still running at
// the deadline is killed (SIGKILL) and reported as timed out. Only the child this call started
// is ever signalled.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pairdb::test {

struct CommandResult {
  int exit_code = -1;  // The exit code, or 128 + signal; -1 when it timed out.
  bool timed_out = false;
  std::string out;
  std::string err;

  // For failure messages: "exit 1; stderr: ...".
  std::string describe() const;
};

// REQUIRES: !argv.empty(); argv[0] is a path (no PATH lookup).
CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          uint32_t timeout_ms = 60'000);

}  // namespace pairdb::test
