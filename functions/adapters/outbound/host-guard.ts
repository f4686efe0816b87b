import { promises as dns, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DependencyError, PolicyError } from '../../core/errors.ts';
import { ALLOW_LISTABLE, blockedRangeOf, embeddedIpv4, type BlockedRangeKind } from './ip-ranges.ts';

/** What the deployment lets admin-set hosts reach besides the public internet. */
export interface HostAllowance {
  /**
   * 127.0.0.0/8 and ::1. The sandbox and the tests need it to reach their local servers.
   * @default false
   */
  readonly loopback?: boolean;
  /**
   * CIDRs (`10.20.0.0/16`, `fd12::/48`) that may be reached although they are private, e.g. an
   * SMTP relay inside the customer's VPC. Only private, CGNAT and reserved addresses open:
   * metadata, loopback, link-local, unspecified, multicast and broadcast addresses stay blocked
   * whatever this says, even under an entry that contains them (`0.0.0.0/0`).
   * @default []
   */
  readonly cidrs?: readonly string[];
}

export interface HostGuardOptions {
  readonly allow?: HostAllowance;
  /** Resolves a name to every address; `dns.promises.lookup(host, { all: true })` by default. */
  readonly resolve?: (host: string) => Promise<readonly LookupAddress[]>;
}

/** A host that passed the guard: connect to `address`, present and verify `servername`. */
export interface VettedHost {
  /** The host as configured. */
  readonly host: string;
  /** The first vetted address: the one to connect to, so nothing can rebind after the check. */
  readonly address: string;
  readonly family: 4 | 6;
  /** Every address the name resolved to, all vetted, in resolver order. */
  readonly addresses: readonly { readonly address: string; readonly family: 4 | 6 }[];
  /** The name for TLS SNI and certificate checks; null for an IP literal (checked against the IP). */
  readonly servername: string | null;
}

const KIND_TEXT: Record<BlockedRangeKind, string> = {
  metadata: 'an instance metadata address',
  unspecified: 'the unspecified address',
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
};

function parseCidr(cidr: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [network = '', bits, extra] = cidr.split('/');
  const family = isIP(network);
  const prefix = Number(bits);
  const max = family === 4 ? 32 : 128;
  if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new DependencyError('dependency-rejected', `host allow-list: ${cidr} is not a CIDR`);
  }
  return { network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Keeps admin-set hosts (SMTP servers, token endpoints) off loopback, private, link-local,
 * CGNAT and metadata addresses, checking every address a name resolves to, so a name pointing
 * at 127.0.0.1 fares no better than the literal (SSRF).
 */
export class HostGuard {
  private readonly allowLoopback: boolean;
  private readonly allowList = new BlockList();
  private readonly resolveAll: (host: string) => Promise<readonly LookupAddress[]>;

  constructor(options: HostGuardOptions = {}) {
    this.allowLoopback = options.allow?.loopback ?? false;
    for (const cidr of options.allow?.cidrs ?? []) {
      const { network, prefix, family } = parseCidr(cidr);
      this.allowList.addSubnet(network, prefix, family);
    }
    this.resolveAll = options.resolve ?? ((host) => dns.lookup(host, { all: true, verbatim: true }));
  }

  /** Why `address` is refused, or null when it may be reached. The protected ranges come before the allow-list. */
  refusal(address: string): BlockedRangeKind | null {
    const kind = blockedRangeOf(address);
    if (kind === null) return null;
    if (kind === 'loopback') return this.allowLoopback ? null : kind;
    if (!ALLOW_LISTABLE.has(kind)) return kind;
    // The IPv4 address a mapped, NAT64 or 6to4 address reaches is the one the allow-list must hold.
    const bare = address.replace(/%.*$/, '');
    const target = embeddedIpv4(bare) ?? bare;
    return this.allowList.check(target, isIP(target) === 4 ? 'ipv4' : 'ipv6') ? null : kind;
  }

  /**
   * Resolves `host` (or takes the IP literal) and checks every address. Throws
   * `PolicyError('blocked-host')` when any address is refused, `DependencyError` when the name
   * does not resolve (`dependency-unavailable`, retryable, for a resolver failure).
   */
  async vet(host: string): Promise<VettedHost> {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    const literal = isIP(bare);
    const found = literal ? [{ address: bare, family: literal }] : await this.resolveName(bare);
    const addresses = found.map((a) => ({ address: a.address, family: (a.family === 6 ? 6 : 4) as 4 | 6 }));
    for (const { address } of addresses) {
      const kind = this.refusal(address);
      if (kind) {
        const via = literal ? '' : ` (resolves to ${address})`;
        throw new PolicyError('blocked-host', `host ${host}${via} is ${KIND_TEXT[kind]}, which outbound connections may not reach`);
      }
    }
    const first = addresses[0];
    if (!first) throw new DependencyError('dependency-rejected', `host ${host} has no address`);
    return { host, address: first.address, family: first.family, addresses, servername: literal ? null : bare };
  }

  /**
   * A `lookup` for `http(s).request`, `net.connect` or `tls.connect`: resolves through the
   * guard and fails the connection with the guard's error. Node skips `lookup` for an IP
   * literal host: call `vet` for those (or always, and connect to the vetted address).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.vet(hostname).then(
      (vetted) => {
        const wanted = options.family === 4 || options.family === 6 ? vetted.addresses.filter((a) => a.family === options.family) : vetted.addresses;
        const first = wanted[0];
        if (options.all)
          callback(
            null,
            wanted.map((a) => ({ address: a.address, family: a.family })),
          );
        else if (first) callback(null, first.address, first.family);
        else callback(Object.assign(new Error(`host ${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  private async resolveName(host: string): Promise<readonly LookupAddress[]> {
    try {
      return await this.resolveAll(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      // ENOTFOUND and ENODATA: the name does not exist, retrying will not make it.
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw new DependencyError('dependency-rejected', `host ${host} does not resolve (${code})`);
      throw new DependencyError('dependency-unavailable', `host ${host} could not be resolved (${code})`);
    }
  }
}
