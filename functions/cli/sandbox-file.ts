import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SandboxInfo } from '../local/sandbox.ts';
import { UsageError } from './command.ts';
import { SANDBOX_STATE_FILE } from './start.ts';

/** Reads the endpoints a running sandbox wrote, or says how to start one. */
export async function readSandboxInfo(path: string = SANDBOX_STATE_FILE): Promise<SandboxInfo> {
  try {
    return JSON.parse(await readFile(resolve(path), 'utf8')) as SandboxInfo;
  } catch {
    throw new UsageError(`no running sandbox found (${path} is missing): start one with \`npm start\``);
  }
}
