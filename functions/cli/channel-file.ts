import { readFile } from 'node:fs/promises';
import { ChannelSettingsSchema, type ChannelSettings } from '../core/model/channel.ts';
import { parseOrThrow } from '../core/validation.ts';
import { UsageError } from './command.ts';

/** The channel the CLI assumes when no `--channel` file is given. */
export const DEFAULT_CHANNEL: ChannelSettings = ChannelSettingsSchema.parse({
  id: 'support',
  address: 'support@example.test',
  name: 'Support',
  defaultSkill: 'support',
});

/** Reads and validates a channel settings JSON file, or returns the default channel. */
export async function loadChannel(path: string | undefined): Promise<ChannelSettings> {
  if (path === undefined) return DEFAULT_CHANNEL;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read channel settings ${path}: ${(error as Error).message}`);
  }
  return parseOrThrow(ChannelSettingsSchema, json, `channel settings ${path}`);
}
