import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ROUTED_MESSAGE_SCHEMA_VERSION, routedMessageJsonSchema } from '../core/model/routed-message.ts';
import type { Command } from './command.ts';

/** Where the committed JSON Schema of the routed-message record lives. */
export const ROUTED_MESSAGE_SCHEMA_PATH = `docs/schemas/routed-message.v${ROUTED_MESSAGE_SCHEMA_VERSION}.json`;

/** The schema file's exact text, so the committed copy can be compared with the zod source. */
export function routedMessageSchemaText(): string {
  return `${JSON.stringify(routedMessageJsonSchema(), null, 2)}\n`;
}

export const schemaCommand: Command = {
  help: `Usage: postroom schema [--write]

Prints the JSON Schema of the record that agents' apps read from skill queues, generated from
its zod schema. With --write, writes it to ${ROUTED_MESSAGE_SCHEMA_PATH}.

Examples:
  npx postroom schema | jq .properties.lane
  npm run schema`,
  async run(args) {
    const { values } = parseArgs({ args: [...args], options: { write: { type: 'boolean' } } });
    if (values.write) {
      await writeFile(ROUTED_MESSAGE_SCHEMA_PATH, routedMessageSchemaText());
      process.stdout.write(`wrote ${ROUTED_MESSAGE_SCHEMA_PATH}\n`);
    } else {
      process.stdout.write(routedMessageSchemaText());
    }
    return 0;
  },
};
