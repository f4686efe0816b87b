import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard } from '../../../../functions/adapters/outbound/host-guard.ts';
import { blockedRangeOf, embeddedIpv4 } from '../../../../functions/adapters/outbound/ip-ranges.ts';
import { DependencyError, PolicyError } from '../../../../functions/core/errors.ts';

async function refusalOf(guard: HostGuard, host: string): Promise<unknown> {
  return guard.vet(host).then(
    () => null,
    (e: unknown) => e,
  );
}

describe('HostGuard without allowances', () => {
  const guard = new HostGuard();

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['10.0.0.1', 'a private network address'],
    ['169.254.169.254', 'an instance metadata address'],
    ['[::1]', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['fc00::1', 'a private network address'],
    ['fd00:ec2::254', 'an instance metadata address'],
    ['fe80::1', 'a link-local address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['172.16.5.4', 'a private network address'],
    ['192.168.1.1', 'a private network address'],
    ['0.0.0.0', 'the unspecified address'],
    ['::', 'the unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'an instance metadata address'],
    ['64:ff9b::a9fe:a9fe', 'an instance metadata address'],
    ['2002:0a00:0001::', 'a private network address'],
    ['2001:db8::1', 'a reserved address'],
  ])('refuses %s as %s', async (host, kind) => {
    // Act
    const error = await refusalOf(guard, host);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('blocked-host');
    expect((error as PolicyError).message).toBe(`host ${host} is ${kind}, which outbound connections may not reach`);
  });

  it('refuses a name that resolves to loopback, after resolving it (localhost)', async () => {
    // Act
    const error = await refusalOf(guard, 'localhost');
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toMatch(/^host localhost \(resolves to (127\.0\.0\.1|::1)\) is a loopback address/);
  });

  it('refuses a name when any one of its addresses is blocked, not only the first', async () => {
    // Arrange
    const mixed = new HostGuard({
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    });
    // Act
    const error = await refusalOf(mixed, 'smtp.example.com');
    // Assert
    expect((error as Error).message).toBe(
      'host smtp.example.com (resolves to 10.1.2.3) is a private network address, which outbound connections may not reach',
    );
  });

  it('passes a public address and returns the name for TLS and the addresses to connect to', async () => {
    // Arrange
    const publicName = new HostGuard({
      resolve: async () => [
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
        { address: '93.184.215.14', family: 4 },
      ],
    });
    // Act
    const vetted = await publicName.vet('smtp.example.com');
    const literal = await guard.vet('93.184.215.14');
    // Assert
    expect(vetted).toEqual({
      host: 'smtp.example.com',
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
      servername: 'smtp.example.com',
      addresses: [
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
        { address: '93.184.215.14', family: 4 },
      ],
    });
    expect(literal).toMatchObject({ address: '93.184.215.14', family: 4, servername: null });
  });

  it('tells a name that does not exist (not retryable) from a resolver failure (retryable), without DNS internals', async () => {
    // Arrange
    const fail = (code: string) =>
      new HostGuard({
        resolve: async () => {
          throw Object.assign(new Error(`getaddrinfo ${code} x\n    at internal`), { code });
        },
      });
    // Act
    const missing = await refusalOf(fail('ENOTFOUND'), 'nope.example.com');
    const flaky = await refusalOf(fail('EAI_AGAIN'), 'slow.example.com');
    // Assert
    expect(missing).toBeInstanceOf(DependencyError);
    expect(missing).toMatchObject({ code: 'dependency-rejected', retryable: false, message: 'host nope.example.com does not resolve (ENOTFOUND)' });
    expect(flaky).toMatchObject({ code: 'dependency-unavailable', retryable: true, message: 'host slow.example.com could not be resolved (EAI_AGAIN)' });
    expect((flaky as Error).cause).toBeUndefined();
  });
});

describe('HostGuard with allowances', () => {
  it('lets loopback through when the deployment allows it (the sandbox), and nothing else', async () => {
    // Arrange
    const guard = new HostGuard({ allow: { loopback: true } });
    // Act
    const byName = await guard.vet('localhost');
    const v6 = await guard.vet('[::1]');
    const stillBlocked = await refusalOf(guard, '10.0.0.1');
    // Assert
    expect(byName).toMatchObject({ host: 'localhost', servername: 'localhost' });
    expect(blockedRangeOf(byName.address)).toBe('loopback');
    expect(v6).toMatchObject({ address: '::1', family: 6, servername: null });
    expect(stillBlocked).toBeInstanceOf(PolicyError);
  });

  it('opens the CIDRs of the allow-list, also for an IPv4 address written as IPv6', async () => {
    // Arrange
    const guard = new HostGuard({ allow: { cidrs: ['10.20.0.0/16', 'fd12:3456::/32'] } });
    // Act
    const inside = await guard.vet('10.20.1.1');
    const mapped = await guard.vet('::ffff:10.20.1.2');
    const nat64 = await guard.vet('64:ff9b::a14:103');
    const v6Inside = await guard.vet('fd12:3456::25');
    const outside = await refusalOf(guard, '10.21.0.1');
    const outsideNat64 = await refusalOf(guard, '64:ff9b::a15:1');
    // Assert
    expect(inside.address).toBe('10.20.1.1');
    expect(mapped.address).toBe('::ffff:10.20.1.2');
    expect(nat64.address).toBe('64:ff9b::a14:103');
    expect(v6Inside.address).toBe('fd12:3456::25');
    expect(outside).toBeInstanceOf(PolicyError);
    expect(outsideNat64).toBeInstanceOf(PolicyError);
  });

  it.each([
    ['169.254.169.254', 'an instance metadata address'],
    ['169.254.170.23', 'an instance metadata address'],
    ['100.100.100.200', 'an instance metadata address'],
    ['fd00:ec2::254', 'an instance metadata address'],
    ['fd00:ec2::253', 'an instance metadata address'],
    ['127.0.0.1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['169.254.10.1', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['0.0.0.0', 'the unspecified address'],
  ])('never opens %s (%s), even to an allow-list that contains it', async (host, kind) => {
    // Arrange: entries that overlap every protected range
    const guard = new HostGuard({ allow: { cidrs: ['0.0.0.0/0', '169.254.0.0/15', '::/0', 'fc00::/7', 'fe80::/9'] } });
    // Act
    const error = await refusalOf(guard, host);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toBe(`host ${host} is ${kind}, which outbound connections may not reach`);
  });

  it('still opens private addresses under such a wide entry, and loopback only through the sandbox allowance', async () => {
    // Arrange
    const wide = new HostGuard({ allow: { cidrs: ['0.0.0.0/0'] } });
    const sandbox = new HostGuard({ allow: { loopback: true, cidrs: ['0.0.0.0/0'] } });
    // Act
    const privateAddress = await wide.vet('192.168.7.7');
    const loopback = await sandbox.vet('127.0.0.1');
    const metadata = await refusalOf(sandbox, '169.254.169.254');
    // Assert
    expect(privateAddress.address).toBe('192.168.7.7');
    expect(loopback.address).toBe('127.0.0.1');
    expect(metadata).toBeInstanceOf(PolicyError);
  });

  it('refuses a malformed allow-list entry at construction', () => {
    expect(() => new HostGuard({ allow: { cidrs: ['10.0.0.0/33'] } })).toThrow('host allow-list: 10.0.0.0/33 is not a CIDR');
    expect(() => new HostGuard({ allow: { cidrs: ['intranet'] } })).toThrow(DependencyError);
  });
});

describe('ip ranges', () => {
  it('reads the IPv4 address inside mapped, NAT64 and 6to4 IPv6 addresses', () => {
    expect(embeddedIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(embeddedIpv4('64:ff9b::808:808')).toBe('8.8.8.8');
    expect(embeddedIpv4('2002:c000:0204::1')).toBe('192.0.2.4');
    expect(embeddedIpv4('2606:4700::1111')).toBeNull();
    // A public IPv4 behind NAT64 is reachable: IPv6-only subnets with DNS64 need it.
    expect(blockedRangeOf('64:ff9b::808:808')).toBeNull();
    expect(blockedRangeOf('8.8.8.8')).toBeNull();
    expect(blockedRangeOf('fe80::1%eth0')).toBe('link-local');
  });
});

describe('HostGuard.lookup as the lookup of http.request', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const fetchVia = (guard: HostGuard): Promise<string> =>
    new Promise((resolve, reject) => {
      get({ host: 'localhost', port, path: '/', lookup: guard.lookup, family: 4 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });

  it('fails the request with the guard error for a name resolving to loopback', async () => {
    // Act
    const error = await fetchVia(new HostGuard()).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toContain('host localhost (resolves to 127.0.0.1) is a loopback address');
  });

  it('connects when loopback is allowed', async () => {
    await expect(fetchVia(new HostGuard({ allow: { loopback: true } }))).resolves.toBe('ok');
  });
});
