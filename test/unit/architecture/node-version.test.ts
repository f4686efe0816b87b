import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { POSTROOM_BUNDLE_TARGET, POSTROOM_RUNTIME } from '../../../lib/constructs/postroom-function.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

interface PackageJson {
  readonly engines: { readonly node: string };
  readonly devDependencies: Readonly<Record<string, string>>;
}

interface LockedPackage {
  readonly version?: string;
  readonly optional?: boolean;
  readonly engines?: { readonly node?: unknown };
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(POSTROOM_RUNTIME.name)?.[1]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('one Node version, the Lambda one', () => {
  it('runs on the Node that package.json installs, of the functions’ runtime major', () => {
    // Assert
    expect(process.versions.node).toBe(pkg.devDependencies.node);
    expect(semver.major(process.versions.node)).toBe(lambdaMajor);
    expect(pkg.engines.node).toBe(`${lambdaMajor}.x`);
    expect(POSTROOM_BUNDLE_TARGET).toBe(`node${lambdaMajor}`);
  });

  it('builds every esbuild bundle for that Node', () => {
    // Arrange
    const files = ['bench', 'functions', 'lib', 'test'].flatMap((dir) => sources(join(ROOT, dir)));

    // Act
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\btarget:\s*['"](node\d+)['"]/g)]
        .filter((m) => m[1] !== `node${lambdaMajor}`)
        .map((m) => `${relative(ROOT, file)}: ${m[1]}`),
    );

    // Assert
    expect(offenders).toEqual([]);
  });

  it('installs only packages whose engines take that Node (npm, itself on the machine’s Node, cannot tell)', () => {
    // Arrange
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };

    // Act
    const offenders = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.optional && typeof p.engines?.node === 'string')
      .filter(([, p]) => !semver.satisfies(process.versions.node, p.engines?.node as string, { includePrerelease: true }))
      .map(([path, p]) => `${path}@${p.version}: node ${p.engines?.node as string}`);

    // Assert
    expect(offenders).toEqual([]);
  });
});
