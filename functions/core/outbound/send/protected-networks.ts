/**
 * Networks that an admin-set host (SMTP server, token URL) may never reach, whatever the
 * deployment's allow-list of private CIDRs says: cloud metadata services, loopback and link-local.
 * The host guard checks them before the allow-list; the deploy config refuses a CIDR that overlaps
 * one. Only the sandbox opens loopback, to reach its own local servers.
 */
export type ProtectedKind = 'metadata' | 'loopback' | 'link-local';

export interface ProtectedNetwork {
  readonly kind: ProtectedKind;
  readonly cidr: string;
  readonly what: string;
}

// Metadata first: each lies inside a wider range (link-local, CGNAT, unique local) that names it otherwise.
export const PROTECTED_NETWORKS: readonly ProtectedNetwork[] = [
  { kind: 'metadata', cidr: '169.254.169.254/32', what: 'the instance metadata service (AWS, GCP, Azure, OCI)' },
  { kind: 'metadata', cidr: '169.254.170.2/32', what: 'the ECS task metadata and credentials endpoint' },
  { kind: 'metadata', cidr: '169.254.170.23/32', what: 'the EKS Pod Identity agent' },
  { kind: 'metadata', cidr: '100.100.100.200/32', what: 'the Alibaba Cloud metadata service' },
  // IMDS (::254), Route 53 resolver (::253), time sync (::123) and EKS Pod Identity (::23) over IPv6.
  { kind: 'metadata', cidr: 'fd00:ec2::/64', what: 'the EC2 IPv6 instance services (metadata, DNS, time, Pod Identity)' },
  { kind: 'loopback', cidr: '127.0.0.0/8', what: 'loopback' },
  { kind: 'loopback', cidr: '::1/128', what: 'loopback' },
  { kind: 'link-local', cidr: '169.254.0.0/16', what: 'link-local addresses' },
  { kind: 'link-local', cidr: 'fe80::/10', what: 'link-local addresses' },
];

/** A parsed CIDR block: the network as a number of 32 or 128 bits and its prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n);
}

function parseIpv6(text: string): bigint | null {
  let groups = text;
  let tail: bigint[] = [];
  const quad = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1] && quad[2]) {
    const v4 = parseIpv4(quad[2]);
    if (v4 === null) return null;
    groups = quad[1].endsWith('::') ? quad[1] : quad[1].slice(0, -1);
    tail = [v4 >> 16n, v4 & 0xffffn];
  }
  const halves = groups.split('::');
  if (halves.length > 2) return null;
  const words = (half: string | undefined): string[] => (half ? half.split(':') : []);
  const [left, right] = [words(halves[0]), words(halves[1])];
  if (![...left, ...right].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const hex = (g: string): bigint => BigInt(`0x${g}`);
  const missing = 8 - left.length - right.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left.map(hex), ...Array<bigint>(halves.length === 1 ? 0 : missing).fill(0n), ...right.map(hex), ...tail];
  return all.reduce((n, g) => (n << 16n) | g, 0n);
}

/** Parses `10.20.0.0/16` or `fd12::/48`; null when it is not a CIDR block. Host bits are ignored. */
export function parseCidr(text: string): Cidr | null {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match?.[1] || !match[2]) return null;
  const prefix = Number(match[2]);
  const v4 = parseIpv4(match[1]);
  if (v4 !== null) return prefix <= 32 ? { family: 4, network: mask(v4, prefix, 32), prefix } : null;
  const v6 = match[1].includes(':') ? parseIpv6(match[1]) : null;
  return v6 !== null && prefix <= 128 ? { family: 6, network: mask(v6, prefix, 128), prefix } : null;
}

function mask(address: bigint, prefix: number, bits: number): bigint {
  const host = (1n << BigInt(bits - prefix)) - 1n;
  return address & ~host;
}

/** Two blocks of one family overlap when the shorter prefix contains the other's network. */
function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const shorter = Math.min(a.prefix, b.prefix);
  return mask(a.network, shorter, bits) === mask(b.network, shorter, bits);
}

/**
 * The IPv6 forms a router delivers to an IPv4 block: IPv4-mapped (`::ffff:0:0/96`), NAT64
 * (`64:ff9b::/96`) and 6to4 (`2002::/16`), so `::ffff:127.0.0.0/104` cannot stand in for loopback.
 */
function ipv6FormsOf(v4: Cidr): Cidr[] {
  return [
    { family: 6, network: (0xffffn << 32n) | v4.network, prefix: 96 + v4.prefix },
    { family: 6, network: (0x64ff9bn << 96n) | v4.network, prefix: 96 + v4.prefix },
    { family: 6, network: (0x2002n << 112n) | (v4.network << 80n), prefix: 16 + v4.prefix },
  ];
}

const PROTECTED_BLOCKS = PROTECTED_NETWORKS.flatMap((n) => {
  const block = parseCidr(n.cidr) as Cidr;
  return [block, ...(block.family === 4 ? ipv6FormsOf(block) : [])].map((b) => ({ network: n, block: b }));
});

/** The first protected network `cidr` overlaps (contains, lies in or equals), or null. */
export function protectedOverlap(cidr: Cidr): ProtectedNetwork | null {
  return PROTECTED_BLOCKS.find(({ block }) => overlaps(cidr, block))?.network ?? null;
}
