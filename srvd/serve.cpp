// serve.cpp -- the composition root: one control loop (HTTP, registry, publishing) and the DNS threads.
#include "srvd/serve.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

#include "api/http_server.hpp"
#include "dns/server.hpp"
#include "health/runner.hpp"
#include "registry/registry.hpp"
#include "srvd/durability.hpp"
#include "srvd/expiry.hpp"
#include "srvd/open_store.hpp"
#include "srvd/publisher.hpp"
#include "srvd/services_file.hpp"
#include "srvd/services_file_sync.hpp"
#include "srvd/zones.hpp"

namespace srvd {
namespace {

/// The listen address, when it is a specific one, is what ns.<domain> resolves to.
std::vector<registry::Address> ns_addresses(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  }
  auto a = registry::parse_address(buf);
  bool unspecified = a && (a->text == "0.0.0.0" || a->text == "::");
  if (!a || unspecified) {
    return {};
  }
  return {*a};
}

/// Kept check connections, API clients and DNS-over-TCP clients are all file descriptors, and
/// 10,000 HTTP checks alone pass the usual soft limit of 1,024; the hard limit is the
/// administrator's word, so the soft one is raised to it. Returns the limit now in force.
uint64_t raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  const rlim_t before = lim.rlim_cur;
  // An unlimited hard limit is still capped by fs.nr_open (1M by default).
  const rlim_t want = lim.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : lim.rlim_max;
  if (before != RLIM_INFINITY && before < want) {
    lim.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      std::fprintf(stderr, "srvd: open files: could not raise the limit of %llu to %llu: %s\n",
                   static_cast<unsigned long long>(before), static_cast<unsigned long long>(want),
                   std::strerror(errno));
      return before;
    }
    std::fprintf(stderr, "srvd: open files: limit raised from %llu to %llu\n",
                 static_cast<unsigned long long>(before), static_cast<unsigned long long>(want));
    return want;
  }
  return before;
}

struct Signals {
  uv_signal_t term{}, intr{}, hup{};
};

/// Everything that must be closed on the way out; what never started stays null.
struct Parts {
  registry::Registry* registry = nullptr;
  health::Runner* checks = nullptr;
  Publisher* publisher = nullptr;
  registry::Store* store = nullptr;
  Durability* durability = nullptr;
  Expiry* expiry = nullptr;
  ServicesFileSync* services = nullptr;
  dns::Server* dns = nullptr;
  api::HttpServer* http = nullptr;
};

void shut_down(Parts& p) {
  // DNS threads first: they signal the publisher's async handle until they are joined.
  if (p.dns != nullptr) {
    p.dns->stop();
  }
  if (p.http != nullptr) {
    p.http->close();
  }
  p.publisher->close();
  if (p.durability != nullptr) {
    p.durability->close();
  }
  if (p.store != nullptr) {
    p.store->close();  // after the last batch it was given is committed
  }
  p.registry->set_check_runner(nullptr);
  p.checks->close();
  if (p.expiry != nullptr) {
    p.expiry->close();
  }
  if (p.services != nullptr) {
    p.services->close();
  }
}

}  // namespace

int serve(const ServeConfig& config) {
  auto dns_addr = parse_host_port(config.dns);
  auto http_addr = parse_host_port(config.http);
  if (!dns_addr || !http_addr) {
    std::fprintf(stderr, "srvd: invalid listen address\n");
    return 2;
  }
  dns::ServerConfig dns_config{.address = *dns_addr, .threads = config.dns_threads, .loop = {}};
  dns_config.loop.edns_payload = config.edns_payload;
  for (const auto& u : config.upstreams) {
    auto addr = parse_host_port(u);  // checked by the flag parser already
    if (!addr) {
      std::fprintf(stderr, "srvd: --upstream %s: expected ADDR:PORT\n", u.c_str());
      return 2;
    }
    dns_config.loop.upstreams.push_back(*addr);
  }
  if (dns_config.threads == 0) {
    dns_config.threads = std::max(1u, std::thread::hardware_concurrency());
  }

  registry::ZoneConfig zone{.domain = config.domain,
                            .ttl = config.ttl,
                            .negative_ttl = config.negative_ttl.value_or(config.ttl),
                            .ns_addresses = ns_addresses(*dns_addr)};
  if (!config.ns_addresses.empty()) {
    zone.ns_addresses.clear();
    for (const auto& a : config.ns_addresses) {
      zone.ns_addresses.push_back(*registry::parse_address(a));  // checked by the flag parser
    }
  }
  std::unique_ptr<registry::Registry> registry;
  try {
    registry = std::make_unique<registry::Registry>(zone);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "srvd: %s: expected a domain name such as svc.internal\n", e.what());
    return 2;
  }

  if (!load_zones(config, *registry, true)) {
    return 2;
  }
  // The services file is checked whole before anything starts: a bad one is fatal here.
  ServicesFile services(config.services_file);
  if (!services.read(*registry)) {
    return 1;
  }

  const uint64_t open_files = raise_open_file_limit();  // before the runner sizes its budget
  uv_loop_t loop;
  uv_loop_init(&loop);
  Publisher publisher(&loop, *registry);
  // Active checks run on this (control) loop and feed the registry, which starts and stops
  // them as instances with a check come and go (issue 4 §2); results carry wall-clock times
  // like the API's writes, since they are shown as checked_at.
  health::Runner checks(&loop, [&registry](const std::string& service, const std::string& id,
                                           registry::CheckResult result) {
    using namespace std::chrono;
    auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    registry->record_check(service, id, result, now);
  });
  std::fprintf(stderr, "srvd: open files: limit %llu; up to %zu check connections kept open\n",
               static_cast<unsigned long long>(open_files), checks.max_kept());
  Parts parts{.registry = registry.get(), .checks = &checks, .publisher = &publisher};
  auto stop_early = [&loop, &parts] {
    shut_down(parts);
    uv_run(&loop, UV_RUN_DEFAULT);  // the close callbacks of what did start
    uv_loop_close(&loop);
    return 1;
  };

  std::string error;
  // The registry as the store kept it; with etcd, only the elected replica runs the checks.
  auto store = open_store(config, &loop, *registry,
                          [&registry, &checks, &config](bool leader) {
                            if (!config.etcd.empty()) {
                              std::fprintf(stderr, "srvd: %s the active checks\n",
                                           leader ? "now running" : "no longer running");
                            }
                            registry->set_check_runner(leader ? &checks : nullptr);
                          },
                          error);
  if (!store) {
    std::fprintf(stderr, "srvd: %s\n", error.c_str());
    return stop_early();
  }
  parts.store = store.get();
  Durability durability(&loop, *registry, *store, publisher);
  parts.durability = &durability;
  Expiry expiry(&loop, *registry);  // missed heartbeats, deregister_after (issue 4 §1)
  parts.expiry = &expiry;
  ServicesFileSync services_sync(&loop, services, *registry, durability);
  parts.services = &services_sync;
  services_sync.apply();  // after the check runner is set, so file checks start at once

  auto dns = dns::Server::start(dns_config, registry->publish(), error);
  if (!dns) {
    std::fprintf(stderr, "srvd: DNS on %s: %s\n", config.dns.c_str(), error.c_str());
    return stop_early();
  }
  parts.dns = dns.get();
  publisher.attach(dns.get());

  auto http = api::HttpServer::start(&loop, *http_addr, *registry, durability, error);
  if (!http) {
    std::fprintf(stderr, "srvd: HTTP on %s: %s\n", config.http.c_str(), error.c_str());
    return stop_early();
  }
  parts.http = http.get();

  std::printf("listening dns %s\n", format_host_port(*dns_addr, dns->port()).c_str());
  std::printf("listening http %s\n", format_host_port(*http_addr, http->port()).c_str());
  std::fflush(stdout);

  struct Context {
    Parts* parts;
    Signals signals;
  } ctx{&parts, {}};
  auto on_signal = [](uv_signal_t* h, int) noexcept {
    auto* c = static_cast<Context*>(h->data);
    shut_down(*c->parts);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->signals.term), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->signals.intr), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&c->signals.hup), nullptr);
  };
  for (auto* s : {&ctx.signals.term, &ctx.signals.intr}) {
    uv_signal_init(&loop, s);
    s->data = &ctx;
  }
  uv_signal_start(&ctx.signals.term, on_signal, SIGTERM);
  uv_signal_start(&ctx.signals.intr, on_signal, SIGINT);
  // SIGHUP re-reads the static zones on this (control) loop; the publisher's next turn swaps
  // them in, and DNS loops keep answering from the old snapshot until then.
  struct Reload {
    const ServeConfig* config;
    registry::Registry* registry;
    ServicesFileSync* services;
  } reload{&config, registry.get(), &services_sync};
  uv_signal_init(&loop, &ctx.signals.hup);
  ctx.signals.hup.data = &reload;
  uv_signal_start(
      &ctx.signals.hup,
      [](uv_signal_t* h, int) noexcept {
        auto* r = static_cast<Reload*>(h->data);
        load_zones(*r->config, *r->registry, false);
        r->services->reload();  // a bad file is reported and changes nothing
      },
      SIGHUP);

  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::fprintf(stderr, "srvd: stopped\n");
  return 0;
}

}  // namespace srvd
