// resolve.js -- resolves names against srvd with Node's dns.Resolver (c-ares), as an app would.
//
// Usage: node resolve.js DNS_PORT METHOD NAME [METHOD NAME ...]
// METHOD is a dns.Resolver method: resolveSrv, resolve4, resolve6 or resolveTxt. Prints one
// line per record, "METHOD NAME: VALUE" (SRV as "priority weight port name", TXT as its
// strings joined by "|"), or "METHOD NAME: <error code>" (ENOTFOUND is NXDOMAIN, ENODATA is
// NODATA). The caller sorts.
'use strict';
const { Resolver } = require('node:dns').promises;

const [port, ...queries] = process.argv.slice(2);
const resolver = new Resolver({ timeout: 3000, tries: 2 });
resolver.setServers([`127.0.0.1:${port}`]);

const format = {
  resolveSrv: (r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`,
  resolve4: (r) => r,
  resolve6: (r) => r,
  resolveTxt: (r) => r.join('|'),
};

async function main() {
  for (let i = 0; i + 1 < queries.length; i += 2) {
    const [method, name] = [queries[i], queries[i + 1]];
    try {
      for (const record of await resolver[method](name)) {
        console.log(`${method} ${name}: ${format[method](record)}`);
      }
    } catch (err) {
      console.log(`${method} ${name}: ${err.code}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
