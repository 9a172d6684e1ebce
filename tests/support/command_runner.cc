// fork/exec with captured output and a deadline, for tests of pairdb-admin and pairdb-bench.
#include "support/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/assert.h"

namespace pairdb::test {

std::string CommandResult::describe() const {
  if (timed_out) return "timed out; stderr: " + err;
  return "exit " + std::to_string(exit_code) + "; stderr: " + err;
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                          uint32_t timeout_ms) {
  PAIRDB_ASSERT(!argv.empty());
  int in_pipe[2], out_pipe[2], err_pipe[2];
  PAIRDB_ASSERT(::pipe2(in_pipe, O_CLOEXEC) == 0 && ::pipe2(out_pipe, O_CLOEXEC) == 0 &&
                ::pipe2(err_pipe, O_CLOEXEC) == 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = ::fork();
  PAIRDB_ASSERT(pid >= 0);
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(args[0], args.data());
    const char* message = "exec failed\n";
    (void)!::write(2, message, std::strlen(message));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  // Feed stdin (small in tests: a pipe buffer holds 64 KiB), then close it.
  size_t written = 0;
  while (written < stdin_text.size()) {
    const ssize_t n = ::write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(in_pipe[1]);

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!result.timed_out) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace pairdb::test
