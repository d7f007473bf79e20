"""resolve.py -- resolves names against srvd with dnspython's stub resolver, as an app would.

Usage: /usr/bin/python3 resolve.py DNS_PORT udp|tcp TYPE NAME [TYPE NAME ...]
Prints one line per record, "TYPE NAME: RDATA" (RDATA in presentation form), plus for SRV
"glue TARGET: ADDRESS" for each address the additional section carried, and
"TYPE NAME: NXDOMAIN" or "TYPE NAME: NOANSWER" for negative answers. The caller sorts.
"""
import sys

import dns.rdatatype
import dns.resolver

port, transport, *queries = sys.argv[1:]
resolver = dns.resolver.Resolver(configure=False)  # not /etc/resolv.conf: srvd only
resolver.nameservers = ["127.0.0.1"]
resolver.port = int(port)
resolver.timeout = 3
resolver.lifetime = 10
resolver.use_edns(0, 0, 1232)

for rdtype, name in zip(queries[0::2], queries[1::2]):
    try:
        answer = resolver.resolve(name, rdtype, tcp=(transport == "tcp"), search=False)
    except dns.resolver.NXDOMAIN:
        print(f"{rdtype} {name}: NXDOMAIN")
        continue
    except dns.resolver.NoAnswer:
        print(f"{rdtype} {name}: NOANSWER")
        continue
    for rdata in answer:
        print(f"{rdtype} {name}: {rdata.to_text()}")
    if answer.rdtype == dns.rdatatype.SRV:
        for rrset in answer.response.additional:
            for rdata in rrset:
                if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    print(f"glue {rrset.name}: {rdata.to_text()}")
