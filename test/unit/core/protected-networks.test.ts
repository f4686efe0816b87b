import { describe, expect, it } from 'vitest';
import { OutboundConfigSchema } from '../../../functions/core/model/postroom-config.ts';
import { parseCidr, protectedOverlap } from '../../../functions/core/outbound/send/protected-networks.ts';

const overlapOf = (text: string): string | null => {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`${text} did not parse`);
  return protectedOverlap(cidr)?.cidr ?? null;
};

describe('parseCidr', () => {
  it.each([
    ['10.20.0.0/16', { family: 4, network: 0x0a140000n, prefix: 16 }],
    ['10.20.9.9/16', { family: 4, network: 0x0a140000n, prefix: 16 }],
    ['0.0.0.0/0', { family: 4, network: 0n, prefix: 0 }],
    ['fd12:3456::/32', { family: 6, network: 0xfd123456n << 96n, prefix: 32 }],
    ['::/0', { family: 6, network: 0n, prefix: 0 }],
    ['::1/128', { family: 6, network: 1n, prefix: 128 }],
    ['::ffff:10.0.0.0/104', { family: 6, network: (0xffffn << 32n) | 0x0a000000n, prefix: 104 }],
    ['1:2:3:4:5:6:7:8/128', { family: 6, network: 0x00010002000300040005000600070008n, prefix: 128 }],
  ])('reads %s', (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  it.each([
    '10.0.0.0',
    '10.0.0.0/33',
    '::/129',
    '256.0.0.0/8',
    '10.0.0/8',
    '010.0.0.0/8',
    '1::2::3/64',
    '1:2:3:4:5:6:7:8:9/64',
    '1:2:3:4:5:6:7/64',
    'fg::/16',
    'intranet/8',
    '10.0.0.0/8/1',
    ':::/8',
  ])('refuses %s', (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});

describe('protectedOverlap', () => {
  it.each([
    ['127.0.0.0/8', '127.0.0.0/8'],
    ['127.5.0.0/16', '127.0.0.0/8'],
    ['0.0.0.0/0', '169.254.169.254/32'],
    ['169.254.0.0/15', '169.254.169.254/32'],
    ['169.254.20.0/24', '169.254.0.0/16'],
    ['100.64.0.0/10', '100.100.100.200/32'],
    ['fc00::/7', 'fd00:ec2::/64'],
    ['fe80::/9', 'fe80::/10'],
    ['::/0', '169.254.169.254/32'], // its IPv4-mapped form
    ['::/96', '::1/128'],
    ['::ffff:0:0/96', '169.254.169.254/32'],
    ['::ffff:127.0.0.0/104', '127.0.0.0/8'],
    ['64:ff9b::/96', '169.254.169.254/32'],
    ['2002:7f00::/24', '127.0.0.0/8'],
  ])('finds that %s overlaps %s', (cidr, hit) => {
    expect(overlapOf(cidr)).toBe(hit);
  });

  it.each(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/11', 'fd12:3456::/32', 'fd00:ec2:0:1::/64', '::ffff:10.0.0.0/104', '2002:0a00::/24'])(
    'lets %s through',
    (cidr) => {
      expect(overlapOf(cidr)).toBeNull();
    },
  );
});

describe('OutboundConfigSchema allowedPrivateCidrs', () => {
  it('takes private blocks and refuses one that would reach metadata, loopback or link-local, saying which', () => {
    // Act
    const good = OutboundConfigSchema.safeParse({ allowedPrivateCidrs: ['10.20.0.0/16', 'fd12::/48'] });
    const bad = OutboundConfigSchema.safeParse({ allowedPrivateCidrs: ['10.20.0.0/16', '0.0.0.0/0', '127.0.0.1/32', 'fe80::/10', 'smtp.internal'] });
    // Assert
    expect(good.data?.allowedPrivateCidrs).toEqual(['10.20.0.0/16', 'fd12::/48']);
    expect(bad.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [
        ['allowedPrivateCidrs', 1],
        '0.0.0.0/0 overlaps 169.254.169.254/32 (the instance metadata service (AWS, GCP, Azure, OCI)), which outbound connections may never reach',
      ],
      [['allowedPrivateCidrs', 2], '127.0.0.1/32 overlaps 127.0.0.0/8 (loopback), which outbound connections may never reach'],
      [['allowedPrivateCidrs', 3], 'fe80::/10 overlaps fe80::/10 (link-local addresses), which outbound connections may never reach'],
      [['allowedPrivateCidrs', 4], 'smtp.internal is not a CIDR block such as 10.20.0.0/16'],
    ]);
  });

  it('refuses unknown fields', () => {
    expect(OutboundConfigSchema.safeParse({ allowedPrivateCidr: ['10.0.0.0/8'] }).success).toBe(false);
  });
});
