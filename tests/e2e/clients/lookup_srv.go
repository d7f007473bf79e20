// lookup_srv.go -- resolves names against srvd with Go's own resolver (net.Resolver, PreferGo),
// as a Go service discovering its peers would.
//
// Usage: lookup_srv DNS_ADDR SERVICE PROTO DOMAIN [HOST|txt:NAME ...]
// Every query goes to DNS_ADDR (host:port) whatever /etc/resolv.conf says, over the network
// Go asks for (UDP first; TCP when an answer comes back truncated). Prints, one per line:
//
//	srv TARGET PORT PRIORITY WEIGHT   for each record LookupSRV(SERVICE, PROTO, DOMAIN) returns
//	host HOST ADDRESS                  for each address LookupHost(HOST) returns
//	txt NAME STRING                    for each string LookupTXT(NAME) returns
//	error QUERY: MESSAGE               when a lookup fails ("not found" for NXDOMAIN/NODATA)
//	dialed NETWORK                     for each transport used (udp, tcp), once
//
// The caller sorts. Exits 2 on bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: lookup_srv DNS_ADDR SERVICE PROTO DOMAIN [HOST|txt:NAME ...]")
		os.Exit(2)
	}
	server, service, proto, domain := os.Args[1], os.Args[2], os.Args[3], os.Args[4]

	var mu sync.Mutex
	dialed := map[string]bool{}
	resolver := &net.Resolver{
		PreferGo: true,
		// Go passes the nameserver it would have used; srvd is the only one we ask.
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			mu.Lock()
			dialed[network] = true
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	_, srvs, err := resolver.LookupSRV(ctx, service, proto, domain)
	if err != nil {
		fmt.Printf("error srv %s %s %s: %s\n", service, proto, domain, describe(err))
	}
	for _, s := range srvs {
		fmt.Printf("srv %s %d %d %d\n", s.Target, s.Port, s.Priority, s.Weight)
	}

	for _, arg := range os.Args[5:] {
		if strings.HasPrefix(arg, "txt:") {
			name := strings.TrimPrefix(arg, "txt:")
			txts, err := resolver.LookupTXT(ctx, name)
			if err != nil {
				fmt.Printf("error txt %s: %s\n", name, describe(err))
			}
			for _, t := range txts {
				fmt.Printf("txt %s %s\n", name, t)
			}
			continue
		}
		addrs, err := resolver.LookupHost(ctx, arg)
		if err != nil {
			fmt.Printf("error host %s: %s\n", arg, describe(err))
		}
		for _, a := range addrs {
			fmt.Printf("host %s %s\n", arg, a)
		}
	}

	for network := range dialed {
		fmt.Printf("dialed %s\n", network)
	}
}

// describe reduces an error to what the test can compare: "not found" for NXDOMAIN and
// NODATA alike (Go does not tell them apart), else the message.
func describe(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return "not found"
	}
	return err.Error()
}
