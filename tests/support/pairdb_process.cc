#include "support/pairdb_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>

namespace pairdb::test {

using Clock = std::chrono::steady_clock;

std::string pairdb_binary_path() { return PAIRDB_BINARY_PATH; }

Result<std::unique_ptr<PairdbProcess>> PairdbProcess::start(const std::string& data_dir,
                                                            std::vector<std::string> extra_args,
                                                            uint32_t ready_timeout_ms) {
  PairdbProcessOptions options;
  options.extra_args = std::move(extra_args);
  options.ready_timeout_ms = ready_timeout_ms;
  return start(data_dir, options);
}

Result<std::unique_ptr<PairdbProcess>> PairdbProcess::start(const std::string& data_dir,
                                                            const PairdbProcessOptions& options) {
  const std::string& host = options.host;
  std::vector<std::string> args = {pairdb_binary_path(),
                                   "--data-dir",
                                   data_dir,
                                   "--listen",
                                   host + ":0",
                                   "--http-listen",
                                   host + ":0",
                                   "--gossip-listen",
                                   host + ":" + std::to_string(options.gossip_port),
                                   "--internode-listen",
                                   host + ":" + std::to_string(options.internode_port),
                                   "--tables.default_replication_factor",
                                   std::to_string(options.default_replication_factor)};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  const uint32_t ready_timeout_ms = options.ready_timeout_ms;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::io_error("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) return Status::io_error("fork");
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::unique_ptr<PairdbProcess> process(new PairdbProcess());
  process->pid_ = pid;
  process->reader_ = std::thread([p = process.get(), fd = pipe_fds[0]] { p->drain_stderr(fd); });

  static const std::regex kReady(
      R"(ready: node (\S+) serving binary protocol on [^ ]+:(\d+), HTTP on [^ ]+:(\d+), )"
      R"(internode on [^ ]+:(\d+), gossip on [^ ]+:(\d+),)");
  const auto deadline = Clock::now() + std::chrono::milliseconds(ready_timeout_ms);
  while (Clock::now() < deadline) {
    std::smatch match;
    const std::string text = process->stderr_text();
    if (std::regex_search(text, match, kReady)) {
      process->node_id_ = match[1];
      process->binary_port_ = static_cast<uint16_t>(std::stoi(match[2]));
      process->http_port_ = static_cast<uint16_t>(std::stoi(match[3]));
      process->internode_port_ = static_cast<uint16_t>(std::stoi(match[4]));
      process->gossip_port_ = static_cast<uint16_t>(std::stoi(match[5]));
      process->host_ = host;
      return process;
    }
    if (!process->running()) {
      return Status::io_error("pairdb exited before it was ready:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Polling, with a deadline.
  }
  return Status::timeout("pairdb did not log ready in time:\n" + process->stderr_text());
}

PairdbProcess::~PairdbProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(10'000);
  }
  if (reader_.joinable()) reader_.join();
}

void PairdbProcess::drain_stderr(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    stderr_.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
}

std::string PairdbProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

void PairdbProcess::signal(int signal_number) {
  if (running()) ::kill(pid_, signal_number);
}

void PairdbProcess::record_exit(int wait_status) {
  exit_status_ = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

bool PairdbProcess::freeze(uint32_t timeout_ms) {
  if (!running()) return false;
  ::kill(pid_, SIGSTOP);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    // WUNTRACED reports the child only once every one of its threads has stopped.
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG | WUNTRACED);
    if (done == pid_) {
      if (WIFSTOPPED(status)) return true;
      record_exit(status);
      return false;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // Polling, with a deadline.
  }
}

bool PairdbProcess::running() {
  if (exit_status_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    record_exit(status);
    return false;
  }
  return true;
}

std::optional<int> PairdbProcess::wait_exit(uint32_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // Polling, with a deadline.
  }
  return exit_status_;
}

}  // namespace pairdb::test
