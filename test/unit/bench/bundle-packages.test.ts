import { describe, expect, it } from 'vitest';
import { GLUE, OWN_CODE, bundleFlags, groupPackages, packageBytes, packageOfSource, roleOf, sumByGroup } from '../../../bench/bundle-packages.ts';

describe('bundle packages', () => {
  it('tells the Postroom functions apart by construct path, and CDK providers from them', () => {
    expect(roleOf('Postroom/Inbound/Process/Function/Resource')).toBe('inbound');
    expect(roleOf('Postroom/Outbound/Send/Function/Resource')).toBe('outbound');
    expect(roleOf('Postroom/AdminApi/Handler/Function/Resource')).toBe('admin');
    expect(roleOf('Postroom/Feedback/Process/Function/Resource')).toBe('feedback');
    expect(roleOf('Postroom/AWS679f53fac002430cb0da5b7982bd2287/Resource')).toBeNull();
  });

  it('names the package of a source, a nested copy with the package that carries it', () => {
    expect(packageOfSource('../../node_modules/@aws-sdk/client-s3/dist-es/S3Client.js')).toBe('@aws-sdk/client-s3');
    expect(packageOfSource('../../node_modules/mailparser/node_modules/nodemailer/lib/addressparser/index.js')).toBe('mailparser › nodemailer');
    expect(packageOfSource('../../functions/core/inbound/receive-mail.ts')).toBe(OWN_CODE);
  });

  it('flags mailparser in the outbound bundle and a missing nodemailer, but not mailparser’s own copy of it in the inbound one', () => {
    expect(bundleFlags('outbound', ['nodemailer', 'zod'])).toEqual([]);
    expect(bundleFlags('outbound', ['mailparser', 'zod'])).toEqual(['carries mailparser', 'lacks nodemailer']);
    expect(bundleFlags('inbound', ['mailparser', 'mailparser › nodemailer'])).toEqual([]);
    expect(bundleFlags('inbound', ['mailparser', 'nodemailer'])).toEqual(['carries nodemailer']);
    expect(bundleFlags('feedback', ['zod'])).toEqual([]);
    expect(bundleFlags(null, ['mailparser'])).toEqual([]);
  });

  it('adds up bundle bytes per package from the mappings; unmapped code is glue', () => {
    // Arrange: col 0 → a.js (own), col 2 → zod, col 5 → unmapped; second line all zod
    const map = { sources: ['../../functions/a.ts', '../../node_modules/zod/v4/core/core.js'], mappings: 'AAAA,ECAA,G;AAAA' };

    // Act
    const rows = packageBytes(map, '12345678\n123456');

    // Assert
    expect(rows).toEqual([
      { name: 'zod', bytes: 9 },
      { name: GLUE, bytes: 3 },
      { name: OWN_CODE, bytes: 2 },
    ]);
  });

  it('groups packages by dependency tree, the first tree claiming a shared one, and skips trees the bundle lacks', () => {
    // Arrange
    const deps: Record<string, string[]> = { mailparser: ['libmime', 'html-to-text'], libmime: ['iconv-lite'], 'html-to-text': ['he'], nodemailer: [] };
    const groups = [
      { group: 'mail', roots: ['mailparser'] },
      { group: 'text', roots: ['html-to-text'] },
      { group: 'send', roots: ['nodemailer'] },
    ];

    // Act
    const inbound = groupPackages((n) => deps[n] ?? [], groups, new Set(['mailparser', 'libmime', 'html-to-text']));
    const outbound = groupPackages((n) => deps[n] ?? [], groups, new Set(['html-to-text', 'nodemailer']));

    // Assert
    expect(inbound.get('iconv-lite')).toBe('mail');
    expect(inbound.get('he')).toBe('mail');
    expect(inbound.has('nodemailer')).toBe(false);
    expect(outbound.get('he')).toBe('text');
    expect(outbound.get('libmime')).toBeUndefined();
    expect(outbound.get(OWN_CODE)).toBe('Postroom code');
  });

  it('sums per group: a nested copy goes with its carrier, unknown packages to other, labels stay themselves', () => {
    const groups = new Map([['mailparser', 'mail']]);
    const rows = [
      { n: 'mailparser', v: 2 },
      { n: 'mailparser › nodemailer', v: 1 },
      { n: 'left-pad', v: 0.5 },
      { n: '(garbage collector)', v: 4 },
    ];

    expect(
      sumByGroup(
        rows,
        (r) => r.n,
        (r) => r.v,
        groups,
      ),
    ).toEqual([
      { group: '(garbage collector)', value: 4 },
      { group: 'mail', value: 3 },
      { group: 'other', value: 0.5 },
    ]);
  });
});
