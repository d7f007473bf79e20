// commit_floor.cpp -- the kernel's share of one durable commit on this machine, without SQLite:
// what a WAL commit of two 4 KiB pages does to the file (a 24-byte frame header and the page,
// twice, then fdatasync), RATE times per second for SECONDS, and the process's CPU per commit.
// Three files: one that grows with every commit (a new WAL), one preallocated with fallocate,
// and one whose blocks were written before (a WAL that starts over after a checkpoint).
// The floor below every unbatched durable write srvd's store makes (store/sqlite_writer.hpp).
//
//   g++ -O2 -std=c++20 -o commit_floor bench/registry/commit_floor.cpp
//   commit_floor DIR [RATE=1000] [SECONDS=4]      (DIR on the disk srvd's --data-dir uses)
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

enum class File { growing, fallocated, written };

double us_per_commit(const std::string& path, File kind, int rate, int seconds) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  const off_t size = off_t{64} << 20;  // more than the run writes
  if (kind == File::fallocated && ::fallocate(fd, 0, 0, size) != 0) {
    std::perror("fallocate");
  }
  if (kind == File::written) {
    std::vector<char> zeros(1 << 16);
    for (off_t at = 0; at < size; at += static_cast<off_t>(zeros.size())) {
      if (::pwrite(fd, zeros.data(), zeros.size(), at) < 0) {
        std::perror("pwrite");
      }
    }
    ::fdatasync(fd);
  }
  std::vector<char> page(4096, 7);
  const double cpu0 = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  off_t at = 0;
  long commits = 0;
  for (;;) {
    const auto due = start + std::chrono::microseconds(commits * 1'000'000 / rate);
    if (due >= end) {
      break;
    }
    std::this_thread::sleep_until(due);
    for (int frame = 0; frame < 2; ++frame) {
      bool ok = ::pwrite(fd, page.data(), 24, at) == 24;
      ok = ::pwrite(fd, page.data(), page.size(), at + 24) == static_cast<ssize_t>(page.size()) && ok;
      if (!ok) {
        std::perror("pwrite");
      }
      at += 24 + static_cast<off_t>(page.size());
    }
    ::fdatasync(fd);
    ++commits;
  }
  const double cpu = cpu_seconds() - cpu0;
  ::close(fd);
  ::unlink(path.c_str());
  return cpu * 1e6 / static_cast<double>(commits);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: commit_floor DIR [RATE] [SECONDS]\n");
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/commit_floor.tmp";
  const int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 4;
  std::printf("{\"rate\": %d, \"growing_us\": %.0f, \"fallocated_us\": %.0f, \"written_us\": %.0f}\n",
              rate, us_per_commit(path, File::growing, rate, seconds),
              us_per_commit(path, File::fallocated, rate, seconds),
              us_per_commit(path, File::written, rate, seconds));
}
