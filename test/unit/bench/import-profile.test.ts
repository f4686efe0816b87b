import { describe, expect, it } from 'vitest';
import { COMPILE_MODULE, GC, GLUE, NODE_INTERNALS, TOP_LEVEL, type CpuProfile, selfTimeByPackage } from '../../../bench/import-profile.ts';
import { decodeMappings } from '../../../bench/source-map.ts';

const BUNDLE = 'file:///tmp/asset/index.mjs';
const frame = (functionName: string, url: string, lineNumber = 0, columnNumber = 0) => ({ functionName, url, lineNumber, columnNumber });

describe('selfTimeByPackage', () => {
  it('gives each sample to the package its bundle position maps to, or to what V8 and Node call it', () => {
    // Arrange: line 0: col 0 unmapped, col 4 → zod, col 9 → mailparser
    const lines = decodeMappings('E,EAAA,KCAA');
    const sources = ['../../node_modules/zod/index.js', '../../node_modules/mailparser/lib/mail-parser.js'];
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('', BUNDLE, 0, 0) },
        { id: 3, callFrame: frame('object', BUNDLE, 0, 5) },
        { id: 4, callFrame: frame('MailParser', BUNDLE, 0, 12) },
        { id: 5, callFrame: frame('__commonJS', BUNDLE, 0, 2) },
        { id: 6, callFrame: frame('compileSourceTextModule', 'node:internal/modules/esm/utils') },
        { id: 7, callFrame: frame('(garbage collector)', '') },
        { id: 8, callFrame: frame('readFileSync', 'node:fs') },
        { id: 9, callFrame: frame('(idle)', '') },
      ],
      samples: [2, 3, 3, 4, 5, 6, 7, 8, 9, 1],
      timeDeltas: [1000, 500, 500, 2000, 300, 40_000, 700, 100, 9000, 9000],
    };

    // Act
    const ms = Object.fromEntries(selfTimeByPackage(profile, BUNDLE, lines, sources));

    // Assert
    expect(ms).toEqual({ [TOP_LEVEL]: 1, zod: 1, mailparser: 2, [GLUE]: 0.3, [COMPILE_MODULE]: 40, [GC]: 0.7, [NODE_INTERNALS]: 0.1 });
  });

  it('hands a require wrapper’s self time on to the packages it calls, by their total time', () => {
    // Arrange: the wrapper (unmapped, col 2) calls a zod body (2 ms) and a mailparser body (6 ms)
    const lines = decodeMappings('E,EAAA,KCAA');
    const sources = ['../../node_modules/zod/index.js', '../../node_modules/mailparser/lib/mail-parser.js'];
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('__require', BUNDLE, 0, 2), children: [2, 3] },
        { id: 2, callFrame: frame('', BUNDLE, 0, 5) },
        { id: 3, callFrame: frame('', BUNDLE, 0, 12) },
      ],
      samples: [1, 2, 3],
      timeDeltas: [4000, 2000, 6000],
    };

    // Act
    const ms = Object.fromEntries(selfTimeByPackage(profile, BUNDLE, lines, sources));

    // Assert
    expect(ms).toEqual({ zod: 2 + 1, mailparser: 6 + 3 });
  });
});
