import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../functions/core/errors.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../functions/core/model/postroom-config.ts';
import { validationIssues } from '../functions/core/validation.ts';

/** The config file used when no `-c config=path` is given, relative to the working directory. */
export const DEFAULT_CONFIG_FILE = 'postroom.config.json';

/**
 * Reads and validates the deploy configuration. Throws a `ConfigError` naming the file and
 * listing every problem, so `cdk synth` fails with the whole list.
 */
export function loadConfig(path: string = DEFAULT_CONFIG_FILE): PostroomConfig {
  const file = resolve(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read config ${file}: ${(error as Error).message}`);
  }
  const result = PostroomConfigSchema.safeParse(json);
  if (!result.success) {
    const problems = validationIssues(result.error).map((i) => `  ${i.path}: ${i.message}`);
    throw new ConfigError(`invalid config ${file}:\n${problems.join('\n')}`);
  }
  return result.data;
}
