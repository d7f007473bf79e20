#!/usr/bin/python3
"""reuseport_split.py -- which SO_REUSEPORT worker socket each of dnsperf's UDP sockets lands
on, and a server port and dnsperf source port that give every server of a run the same, even
split.

  reuseport_split.py map PORT LOCAL_PORT WORKERS CLIENTS
      JSON: the groups of client sockets (0 .. CLIENTS-1, socket k sending from LOCAL_PORT + k)
      that share a worker when WORKERS sockets listen on 127.0.0.1:PORT with SO_REUSEPORT
  reuseport_split.py pick WORKERS CLIENTS
      "PORT LOCAL_PORT GROUPS": free ports (PORT for UDP and TCP, LOCAL_PORT .. +CLIENTS-1 for
      UDP) whose split puts client socket k on worker k mod WORKERS

Why: a UDP datagram for a port that several SO_REUSEPORT sockets share goes to the socket
numbered hash(source address and port, destination address and port, a per-boot secret) scaled
to the number of sockets (the kernel's reuseport_select_sock, when no BPF program steers it).
dnsperf's sockets send from random ephemeral ports, so with -c 4 over 2 workers every dnsperf
process gets its own split (4/0, 3/1 or 2/2), and a server's QPS follows the split more than
the server: one srvd binary gave 189k QPS with all four on one worker, 105-121k split 2/2.
With fixed ports -- one server port for the run (the servers run one at a time) and dnsperf
-x LOCAL_PORT (its socket k binds LOCAL_PORT + k, counted across its threads) -- the 4-tuples
are the same for every server, hence the split too. Which of a server's threads owns socket 0
is up to its bind order, but its workers are alike, so only the grouping matters. This probe
binds WORKERS sockets itself, sends one datagram from each client port and reads where each
arrived: the split any server with WORKERS reuseport sockets on PORT will see.
Ports are drawn below the ephemeral range (ip_local_port_range), which no socket bound to
port 0 can take between this check and the run.
"""
import json
import random
import select
import socket
import sys


def _udp(port, reuseport=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def split(port, local_port, workers, clients):
    """groups of client indexes per worker socket, in order of their lowest member; OSError
    when a port is taken"""
    listeners, senders = [], []
    try:
        for _ in range(workers):
            listeners.append(_udp(port, reuseport=True))
        for k in range(clients):
            senders.append(_udp(local_port + k))
        for s in senders:
            s.sendto(b"?", ("127.0.0.1", port))
        owner = {}
        while len(owner) < clients:
            ready, _, _ = select.select(listeners, [], [], 1.0)
            if not ready:
                break  # loopback delivers at once: what has not come will not
            for s in ready:
                _, (_, src) = s.recvfrom(16)
                owner[src - local_port] = listeners.index(s)
        if len(owner) != clients:
            raise OSError(f"only {len(owner)} of {clients} probe datagrams arrived")
    finally:
        for s in listeners + senders:
            s.close()
    groups = {}
    for k in sorted(owner):
        groups.setdefault(owner[k], []).append(k)
    return sorted(groups.values())


def tcp_free(port):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        t.close()


def pick(workers, clients):
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    want = sorted([k for k in range(clients) if k % workers == w] for w in range(min(workers, clients)))
    rng = random.SystemRandom()
    for _ in range(2000):
        port = rng.randrange(10000, low - clients)
        local = rng.randrange(10000, low - clients)
        if local <= port < local + clients or not tcp_free(port):
            continue
        try:
            if split(port, local, workers, clients) == want:
                return port, local, want
        except OSError:
            continue  # a port is taken: another draw
    raise SystemExit(f"no ports found that split {clients} clients as {want}")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "map":
        print(json.dumps(split(*map(int, sys.argv[2:]))))
    elif len(sys.argv) == 4 and sys.argv[1] == "pick":
        port, local, groups = pick(int(sys.argv[2]), int(sys.argv[3]))
        print(port, local, json.dumps(groups, separators=(",", ":")))
    else:
        sys.exit(__doc__)
