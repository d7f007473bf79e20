// etcd_process.hpp -- a real etcd for tests: free loopback ports, its own temp dir, killed after.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/etcd_client.hpp"

namespace srvd::test {

/// One single-member etcd. stop() kills it (as a crashed member: the client's connections
/// break at once) and start() brings it back on the same ports with the same data; pause()
/// freezes it (SIGSTOP: connections stay open, nothing answers). Raft timings are short so
/// it elects itself fast and its minimum lease TTL is 1 s.
class EtcdProcess {
 public:
  static constexpr const char* kBinary = "/usr/bin/etcd";
  static bool installed() { return access(kBinary, X_OK) == 0; }

  EtcdProcess() {
    char dir[] = "/tmp/srvd-etcd-test-XXXXXX";
    if (mkdtemp(dir) != nullptr) {
      dir_ = dir;
    }
    client_port_ = free_port();
    peer_port_ = free_port();
    start();
  }
  ~EtcdProcess() {
    stop();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  /// True once it answers a read (start() waits up to 10 s for that).
  bool ready() const { return ready_; }

  void start() {
    if (pid_ > 0 || dir_.empty()) {
      return;
    }
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    std::vector<std::string> args = {
        kBinary,
        "--name=t",
        "--data-dir=" + dir_ + "/data",
        "--listen-client-urls=" + endpoint(),
        "--advertise-client-urls=" + endpoint(),
        "--listen-peer-urls=" + peer,
        "--initial-advertise-peer-urls=" + peer,
        "--initial-cluster=t=" + peer,
        "--heartbeat-interval=50",
        "--election-timeout=500",
    };
    const std::string log = dir_ + "/etcd.log";
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec: the test has threads.
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no etcd behind
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execv(kBinary, argv.data());
      _exit(127);
    }
    pid_ = pid;
    ready_ = wait_ready();
  }

  /// Kills it (SIGKILL) and waits for it to be gone.
  void stop() {
    if (pid_ <= 0) {
      return;
    }
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    ready_ = false;
  }
  /// Kills it and starts it again with no data: a new cluster whose revisions start over.
  void wipe() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_ + "/data", ignored);
    start();
  }
  void pause() { kill(pid_, SIGSTOP); }
  void resume() { kill(pid_, SIGCONT); }

 private:
  static int free_port() {
    // Bound to port 0 and released: the kernel will not hand it out again soon.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  bool wait_ready() {
    store::EtcdClient client({endpoint()}, 500);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.range("ready-probe").ok()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace srvd::test
