import { build } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTROOM_BUNDLE_TARGET } from '../../lib/constructs/postroom-function.ts';

/** The packages a function's bundle pulls in, as esbuild's metafile lists them. */
async function packagesOf(entry: string): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(import.meta.dirname, '../../functions', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: POSTROOM_BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return new Set(Object.keys(result.metafile.inputs).flatMap((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? []));
}

describe('bundles', () => {
  it('keeps mailparser out of the outbound function (forwarded attachments are staged when a reply is queued)', async () => {
    // Act
    const packages = await packagesOf('outbound-send.ts');
    // Assert
    expect(packages.has('nodemailer')).toBe(true);
    expect(packages.has('mailparser')).toBe(false);
  });

  it('gives the mailbox function its IMAP client, the MIME parser and the Encryption SDK, and no mail sender (acknowledgements are queued for the outbound function)', async () => {
    // Act
    const packages = await packagesOf('source-poll.ts');
    // Assert
    expect(packages.has('imapflow')).toBe(true);
    expect(packages.has('@aws-crypto/client-node')).toBe(true);
    expect(packages.has('mailparser')).toBe(true);
    expect(packages.has('nodemailer')).toBe(false);
  });
});
