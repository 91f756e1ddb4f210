/**
 * Where webhooks may be sent (SLOTBRIDGE_WEBHOOK_NETWORKS, docs/webhooks.md): a partner names
 * the URL, and the server makes the request, so without a rule a partner could make this server
 * call its own network — a cloud metadata address, a database's admin page, a router — and read
 * the answer's status in the delivery log (server-side request forgery).
 *
 * - `public`: only addresses routable on the internet;
 * - `loopback` (the default): those and this machine (127.0.0.0/8, ::1), for a receiver beside
 *   the server in development and tests;
 * - `private`: any address, for receivers on the operator's own private network.
 *
 * The rule is applied to every address a host name resolves to, at connect time (so a name that
 * resolves differently later — DNS rebinding — is caught), and to an address written in the URL.
 */
import dns, { type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

export type WebhookNetworks = 'public' | 'loopback' | 'private';
export const WEBHOOK_NETWORKS: readonly WebhookNetworks[] = ['public', 'loopback', 'private'];

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Not routable on the internet: private, shared, link-local (cloud metadata), reserved, multicast. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** An IP as BlockList checks it: brackets off, an IPv4-mapped IPv6 address as its IPv4. */
function plainIp(address: string): { ip: string; family: 'ipv4' | 'ipv6' } {
  let ip = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  return { ip, family: isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

/** A host that is this machine: `localhost`, or a loopback IP (brackets allowed). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const { ip, family } = plainIp(host);
  return isIP(ip) !== 0 && LOOPBACK.check(ip, family);
}

/** Why the rule refuses this address (an IP, v4 or v6, brackets allowed), or null when it may be called. */
export function refusedAddress(address: string, networks: WebhookNetworks): string | null {
  const { ip, family } = plainIp(address);
  if (networks === 'private') return null;
  if (LOOPBACK.check(ip, family)) {
    return networks === 'public' ? `${ip} is this machine (loopback)` : null;
  }
  return NOT_PUBLIC.check(ip, family) ? `${ip} is not a public address` : null;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
type Resolve = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for an HTTP agent: resolves as dns.lookup does, and fails the connection when any
 * address the name resolves to is refused by the rule (code ERR_WEBHOOK_ADDRESS_REFUSED).
 */
export function guardedLookup(networks: WebhookNetworks, resolve: Resolve = dns.lookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const reason = refusedAddress(address, networks);
        if (reason) {
          const refused: NodeJS.ErrnoException = new Error(
            `${hostname}: ${reason}: refused by SLOTBRIDGE_WEBHOOK_NETWORKS=${networks}`,
          );
          refused.code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
          return callback(refused, []);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}
