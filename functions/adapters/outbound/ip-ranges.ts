import { BlockList, isIP, isIPv4 } from 'node:net';
import { PROTECTED_NETWORKS } from '../../core/outbound/send/protected-networks.ts';

/** Why an address may not be reached from an admin-set host name. */
export type BlockedRangeKind = 'metadata' | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'multicast' | 'broadcast' | 'reserved';

/**
 * The only kinds a deployment's allow-list of private CIDRs can open. Metadata, loopback and
 * link-local (`PROTECTED_NETWORKS`), unspecified, multicast and broadcast are checked before it,
 * so even an allow-list entry like `0.0.0.0/0` cannot reach them; loopback opens for the sandbox only.
 */
export const ALLOW_LISTABLE: ReadonlySet<BlockedRangeKind> = new Set(['private', 'cgnat', 'reserved']);

type Range = readonly [kind: BlockedRangeKind, network: string, prefix: number];

const protectedRanges = (family: 4 | 6): Range[] =>
  PROTECTED_NETWORKS.flatMap(({ kind, cidr }) => {
    const [network = '', prefix = ''] = cidr.split('/');
    return isIP(network) === family ? [[kind, network, Number(prefix)] as const] : [];
  });

// Order matters: the first kind listed that matches names the range, so the protected networks (metadata
// first) come before the link-local, CGNAT and private ranges that contain them.
const V4: readonly Range[] = [
  ...protectedRanges(4),
  ['unspecified', '0.0.0.0', 8], // 0.0.0.0 connects to this host on Linux
  ['broadcast', '255.255.255.255', 32], // before 240/4, which holds it
  ['private', '10.0.0.0', 8],
  ['cgnat', '100.64.0.0', 10], // RFC 6598
  ['private', '172.16.0.0', 12],
  ['reserved', '192.0.0.0', 24], // IETF protocol assignments
  ['reserved', '192.0.2.0', 24], // TEST-NET-1
  ['private', '192.168.0.0', 16],
  ['reserved', '198.18.0.0', 15], // benchmarking
  ['reserved', '198.51.100.0', 24], // TEST-NET-2
  ['reserved', '203.0.113.0', 24], // TEST-NET-3
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4],
];

const V6: readonly Range[] = [
  ...protectedRanges(6),
  ['unspecified', '::', 128],
  ['private', 'fc00::', 7], // unique local
  ['reserved', 'fec0::', 10], // deprecated site-local
  ['multicast', 'ff00::', 8],
  ['reserved', '64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['reserved', '100::', 64], // discard-only
  ['reserved', '2001::', 32], // Teredo: hides an IPv4 address
  ['reserved', '2001:db8::', 32], // documentation
  ['reserved', '::', 96], // deprecated IPv4-compatible
];

function listOf(ranges: readonly Range[], family: 'ipv4' | 'ipv6'): Map<BlockedRangeKind, BlockList> {
  const lists = new Map<BlockedRangeKind, BlockList>();
  for (const [kind, network, prefix] of ranges) {
    const list = lists.get(kind) ?? new BlockList();
    list.addSubnet(network, prefix, family);
    lists.set(kind, list);
  }
  return lists;
}

const V4_LISTS = listOf(V4, 'ipv4');
const V6_LISTS = listOf(V6, 'ipv6');

/** The 16 bytes of an IPv6 address (no zone), or null when it is not one. */
export function ipv6Bytes(address: string): Uint8Array | null {
  if (isIP(address) !== 6) return null;
  let text = address;
  const bytes = new Uint8Array(16);
  // An embedded dotted quad at the end (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const [a, b, c, d] = quad[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

/**
 * The IPv4 address an IPv6 address carries and that a router would deliver to: IPv4-mapped
 * (`::ffff:0:0/96`), NAT64 well-known prefix (`64:ff9b::/96`) and 6to4 (`2002::/16`).
 */
export function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  if (!b) return null;
  const zero = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  const quad = (i: number): string => `${b[i]}.${b[i + 1]}.${b[i + 2]}.${b[i + 3]}`;
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return quad(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return quad(12);
  if (b[0] === 0x20 && b[1] === 0x02) return quad(2);
  return null;
}

/** The kind of blocked range `address` is in, or null for an address on the public internet. */
export function blockedRangeOf(address: string): BlockedRangeKind | null {
  const bare = address.replace(/%.*$/, ''); // zone id of a link-local address
  if (isIPv4(bare)) {
    for (const [kind, list] of V4_LISTS) if (list.check(bare, 'ipv4')) return kind;
    return null;
  }
  if (isIP(bare) !== 6) return 'reserved';
  const v4 = embeddedIpv4(bare);
  if (v4) return blockedRangeOf(v4);
  for (const [kind, list] of V6_LISTS) if (list.check(bare, 'ipv6')) return kind;
  return null;
}
