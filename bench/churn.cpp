// churn.cpp -- changes registrations at a steady rate over HTTP, for workload (d).
//
// The same operations and output as the former churn.py, at a few percent of its CPU: the
// client shares the machine with dnsperf and srvd, so every cycle it burns is taken from the
// server it measures. One thread, non-blocking sockets, poll(); HTTP/1.1 keep-alive over
// --connections connections, one request in flight on each.
//
// Cycles over the generator's services svc0..svc<N-1>: step i either re-registers i1 of
// service (i/2)%N on another port (8080 <-> 8081: its SRV changes) or adds/removes an extra
// instance x1 (the service's SRV and A sets change), alternately. Step i is due at
// start + i/rate; a step that finds no free connection waits for one and is sent late (the
// achieved rate says so). Steps due before --duration are sent; then it waits for the
// answers and prints one JSON line: writes done, non-2xx count (a DELETE's 404 is fine: x1
// was already gone), achieved writes/s, write latency p50/p99 (ms, send to full response).
// Names in the generator's query files stay valid throughout (no NXDOMAIN appears).
// --reads sends GET /v1/services/svc<k> instead, at the same rate over the same connections:
// the same HTTP traffic without a change (bench/probe_d_causes.sh tells the two apart).
//
//   g++ -O2 -o churn bench/churn.cpp
//   churn --http 127.0.0.1:8500 [--services 1000] [--rate 1000] [--duration 10] [--connections 64]
//         [--reads]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  long services = 1000;
  double rate = 1000;
  double duration = 10;
  int connections = 64;
  bool reads = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "churn: %s\nusage: churn --http HOST:PORT [--services N] [--rate W/S] "
               "[--duration S] [--connections C] [--reads]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--reads") {
      o.reads = true;
      continue;
    }
    if (i + 1 >= argc) {
      usage(("missing value for " + flag).c_str());
    }
    std::string v = argv[++i];
    if (flag == "--http") {
      size_t colon = v.rfind(':');
      if (colon == std::string::npos) {
        usage("--http wants HOST:PORT");
      }
      o.host = v.substr(0, colon);
      o.port = std::atoi(v.c_str() + colon + 1);
    } else if (flag == "--services") {
      o.services = std::atol(v.c_str());
    } else if (flag == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (flag == "--duration") {
      o.duration = std::atof(v.c_str());
    } else if (flag == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else {
      usage(("unknown flag " + flag).c_str());
    }
  }
  if (o.port <= 0 || o.services <= 0 || o.rate <= 0 || o.duration <= 0 || o.connections <= 0) {
    usage("--http HOST:PORT, and positive --services, --rate, --duration, --connections");
  }
  return o;
}

// One keep-alive connection with at most one request in flight.
struct Conn {
  int fd = -1;
  bool busy = false;
  bool is_delete = false;
  double sent_at = 0;
  std::string out;  // request bytes not yet written
  size_t out_done = 0;
  std::string in;  // response bytes so far
};

int connect_to(const Options& o) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr) != 1) {
    usage("--http wants an IPv4 literal host");
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Connected before it turns non-blocking: on loopback that takes microseconds.
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Step i's request (the operations of the former churn.py, byte for byte in effect).
void build_request(const Options& o, long i, Conn& c) {
  long k = (i / 2) % o.services;
  long cycle = i / (2 * o.services);
  char path[96];
  char body[96];
  const char* method = "PUT";
  body[0] = '\0';
  if (o.reads) {
    method = "GET";
    std::snprintf(path, sizeof path, "/v1/services/svc%ld", k);
  } else if (i % 2 == 0) {
    std::snprintf(path, sizeof path, "/v1/services/svc%ld/instances/i1", k);
    std::snprintf(body, sizeof body, "{\"address\": \"10.%ld.%ld.1\", \"port\": %d}", k / 256 % 256,
                  k % 256, cycle % 2 == 0 ? 8081 : 8080);
  } else if (cycle % 2 == 0) {
    std::snprintf(path, sizeof path, "/v1/services/svc%ld/instances/x1", k);
    std::snprintf(body, sizeof body, "{\"address\": \"10.%ld.%ld.250\", \"port\": 8080}",
                  k / 256 % 256, k % 256);
  } else {
    method = "DELETE";
    std::snprintf(path, sizeof path, "/v1/services/svc%ld/instances/x1", k);
  }
  size_t body_len = std::strlen(body);
  char head[320];
  int n = body_len != 0
              ? std::snprintf(head, sizeof head,
                              "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\n\r\n",
                              method, path, o.host.c_str(), o.port, body_len)
              : std::snprintf(head, sizeof head,
                              "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: 0\r\n\r\n", method,
                              path, o.host.c_str(), o.port);
  c.out.assign(head, static_cast<size_t>(n));
  c.out.append(body, body_len);
  c.out_done = 0;
  c.in.clear();
  c.is_delete = method[0] == 'D';
}

// A complete response in c.in: its status, else 0 (more to read). -1: not HTTP.
int complete_status(const Conn& c) {
  size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    return 0;
  }
  if (c.in.compare(0, 5, "HTTP/") != 0) {
    return -1;
  }
  size_t sp = c.in.find(' ');
  int status = sp == std::string::npos ? -1 : std::atoi(c.in.c_str() + sp + 1);
  size_t length = 0;
  // srvd always sends Content-Length (api/http_message.cpp); header names are case-insensitive.
  for (size_t pos = c.in.find("\r\n"); pos < end; pos = c.in.find("\r\n", pos + 2)) {
    static constexpr char kName[] = "content-length:";
    if (strncasecmp(c.in.c_str() + pos + 2, kName, sizeof kName - 1) == 0) {
      length = static_cast<size_t>(std::atol(c.in.c_str() + pos + 2 + sizeof kName - 1));
    }
  }
  return c.in.size() >= end + 4 + length ? status : 0;
}

double pick(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) {
    return -1;
  }
  size_t i =
      std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())));
  return sorted[i] * 1000;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Conn> conns(static_cast<size_t>(o.connections));
  std::vector<double> latency;
  latency.reserve(static_cast<size_t>(o.rate * o.duration) + 16);
  long writes = 0;
  long errors = 0;
  long next = 0;  // the next step to send
  const double start = now_s();
  const double end = start + o.duration;
  double last_sent = start;  // when the last step went out (late, if the server is slower)
  std::vector<pollfd> fds(conns.size());

  // A connection that cannot be made means the server is gone: stop, rather than spin on
  // steps that no connection can take until --duration runs out (it never would: the steps
  // stay due).
  auto connect_or_exit = [&](Conn& c) {
    c.fd = connect_to(o);
    if (c.fd < 0) {
      std::fprintf(stderr, "churn: cannot connect to %s:%d: %s (after %ld writes)\n",
                   o.host.c_str(), o.port, std::strerror(errno), writes);
      std::exit(1);
    }
  };
  auto fail = [&](Conn& c) {  // a broken connection: the write in flight failed; reconnect
    if (c.busy) {
      latency.push_back(now_s() - c.sent_at);
      ++writes;
      ++errors;
    }
    close(c.fd);
    c = Conn{};
    connect_or_exit(c);
  };
  // Writes what it can of c's request; false when the connection broke.
  auto try_send = [](Conn& c) {
    ssize_t n = send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done, MSG_NOSIGNAL);
    if (n < 0) {
      return errno == EAGAIN || errno == EINTR;
    }
    c.out_done += static_cast<size_t>(n);
    return true;
  };
  for (auto& c : conns) {
    connect_or_exit(c);
  }

  for (;;) {
    double now = now_s();
    bool sending = start + static_cast<double>(next) / o.rate < end;
    // Hand every due step to a free connection.
    for (auto& c : conns) {
      if (!sending || start + static_cast<double>(next) / o.rate > now) {
        break;
      }
      if (c.busy) {
        continue;
      }
      build_request(o, next++, c);
      c.busy = true;
      c.sent_at = now;
      last_sent = now;
      try_send(c);  // a small request: normally all of it at once, no poll round trip
      sending = start + static_cast<double>(next) / o.rate < end;
    }
    size_t busy = 0;
    for (size_t j = 0; j < conns.size(); ++j) {
      Conn& c = conns[j];
      busy += c.busy ? 1 : 0;
      fds[j].fd = c.busy ? c.fd : -1;  // idle keep-alive connections are not polled
      fds[j].events = static_cast<short>(POLLIN | (c.out_done < c.out.size() ? POLLOUT : 0));
      fds[j].revents = 0;
    }
    if (!sending && busy == 0) {
      break;
    }
    // Answers that never come: count them as failed, 30 s after the last step went out (not
    // after --duration: a client far behind its schedule sends its last step after that).
    if (!sending && now > last_sent + 30) {
      for (auto& c : conns) {
        if (c.busy) {
          fail(c);
        }
      }
      break;
    }
    // Sleep until the next step is due (if a connection is free for it) or a socket is ready.
    double wait = 1.0;
    if (sending && busy < conns.size()) {
      wait = std::max(0.0, start + static_cast<double>(next) / o.rate - now);
    }
    timespec ts{static_cast<time_t>(wait),
                static_cast<long>((wait - static_cast<double>(static_cast<time_t>(wait))) * 1e9)};
    if (ppoll(fds.data(), fds.size(), &ts, nullptr) < 0 && errno != EINTR) {
      std::perror("churn: ppoll");
      return 1;
    }
    for (size_t j = 0; j < conns.size(); ++j) {
      Conn& c = conns[j];
      short ev = fds[j].revents;
      if (fds[j].fd < 0 || ev == 0) {
        continue;
      }
      if ((ev & POLLOUT) != 0 && c.out_done < c.out.size() && !try_send(c)) {
        fail(c);
        continue;
      }
      if ((ev & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buf[4096];
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          fail(c);
          continue;
        }
        if (n > 0) {
          c.in.append(buf, static_cast<size_t>(n));
          int status = complete_status(c);
          if (status < 0) {
            fail(c);
            continue;
          }
          if (status > 0) {
            latency.push_back(now_s() - c.sent_at);
            ++writes;
            bool ok = status / 100 == 2 || (c.is_delete && status == 404);
            errors += ok ? 0 : 1;
            c.busy = false;
            c.out.clear();
            c.out_done = 0;
          }
        }
      }
    }
  }
  double elapsed = now_s() - start;
  for (auto& c : conns) {
    if (c.fd >= 0) {
      close(c.fd);
    }
  }
  std::sort(latency.begin(), latency.end());
  double p50 = pick(latency, 0.50);
  double p99 = pick(latency, 0.99);
  char p50s[32] = "null";
  char p99s[32] = "null";
  if (p50 >= 0) {
    std::snprintf(p50s, sizeof p50s, "%.3f", p50);
    std::snprintf(p99s, sizeof p99s, "%.3f", p99);
  }
  std::printf(
      "{\"writes\": %ld, \"errors\": %ld, \"writes_per_s\": %.1f, \"write_p50_ms\": %s, "
      "\"write_p99_ms\": %s, \"connections\": %d, \"reads\": %s, \"client\": \"churn.cpp\"}\n",
      writes, errors, static_cast<double>(writes) / elapsed, p50s, p99s, o.connections,
      o.reads ? "true" : "false");
  return 0;
}
