// A real `interstice start` process for end-to-end tests: started on a free
// port (--port 0) in a temporary data directory, its output collected, and
// stopped (SIGTERM, then SIGKILL if needed) when the object goes away.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace interstice::testing {

class NodeProcess {
 public:
  // Copies `modules` (names of built example modules) into the data
  // directory's modules/ and starts the node.
  explicit NodeProcess(const std::vector<std::string>& modules,
                       const std::vector<std::string>& extra_args = {}) {
    std::filesystem::create_directories(data_.path() / "modules");
    for (const std::string& m : modules)
      std::filesystem::copy_file(std::string(INTERSTICE_MODULE_DIR) + "/" + m + ".wasm",
                                 data_.path() / "modules" / (m + ".wasm"));
    start(extra_args);
  }
  // Starts a node on an existing data directory layout prepared by `prepare`.
  template <typename Prepare>
  NodeProcess(Prepare prepare, const std::vector<std::string>& extra_args) {
    std::filesystem::create_directories(data_.path() / "modules");
    prepare(data_.path());
    start(extra_args);
  }
  ~NodeProcess() {
    stop();
    if (fd_ >= 0) ::close(fd_);
  }

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The peer port, when started with --peer-port (0 otherwise).
  uint16_t peer_port() {
    const std::string marker = "accepting peers on 127.0.0.1:";
    size_t at = output().find(marker);
    return at == std::string::npos
               ? 0
               : static_cast<uint16_t>(std::stoi(output_.substr(at + marker.size())));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& data_dir() const { return data_.path(); }

  // Everything the node printed so far.
  std::string output() {
    drain(std::chrono::milliseconds(50));
    return output_;
  }
  // Waits (at most `timeout`) until the output contains `text`.
  bool wait_for_output(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output().find(text) == std::string::npos)
      if (std::chrono::steady_clock::now() > deadline) return false;
    return true;
  }
  // Starts the node again on the same data directory (stopping it first if
  // it still runs); output() starts afresh.
  void restart(const std::vector<std::string>& extra_args = {}) {
    stop();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    output_.clear();
    port_ = 0;
    exit_status_ = -1;
    start(extra_args);
  }
  // kill -9: the node gets no chance to flush or sync anything.
  void kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Sends SIGTERM and waits for the exit; returns the exit status (or -1).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && !reap(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    drain(std::chrono::milliseconds(0));
    ::close(fd_);
    fd_ = -1;
    return exit_status_;
  }

 private:
  void start(const std::vector<std::string>& extra_args) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 1);
      ::dup2(pipe_fds[1], 2);
      ::close(pipe_fds[0]);
      std::vector<std::string> args{INTERSTICE_CLI,       "start", "--port", "0", "--data-dir",
                                    data_.path().string()};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    fd_ = pipe_fds[0];
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    // Wait (at most 30 s) for "listening on http://127.0.0.1:PORT".
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::string marker = "listening on http://127.0.0.1:";
    while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
      drain(std::chrono::milliseconds(100));
      size_t at = output_.find(marker);
      if (at != std::string::npos && output_.find('\n', at) != std::string::npos)
        port_ = static_cast<uint16_t>(std::stoi(output_.substr(at + marker.size())));
      if (reap()) break;
    }
  }

  void drain(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    char buffer[4096];
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      output_.append(buffer, static_cast<size_t>(n));
      wait = std::chrono::milliseconds(0);
    }
  }

  bool reap() {
    if (pid_ <= 0) return true;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
    return true;
  }

  TempDir data_;
  pid_t pid_ = -1;
  int fd_ = -1;
  uint16_t port_ = 0;
  int exit_status_ = -1;
  std::string output_;
};

}  // namespace interstice::testing
