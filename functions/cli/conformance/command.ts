import { parseArgs } from 'node:util';
import type { Command } from '../command.ts';
import { corpusPresent, DEFAULT_CORPUS_DIR } from './corpus.ts';
import { runConformance } from './run.ts';
import { printScorecard } from './scorecard.ts';

export const conformanceCommand: Command = {
  help: `Usage: postroom conformance [--corpus DIR] [--json] [--verbose]

Parses, classifies and threads every message of the labelled corpus (../shared/corpus beside
the project by default) and prints a scorecard: lane precision/recall per lane, bounce
recipient+status agreement with the sisimai and bounceparser labels, parse agreement with the
zammad labels, thread-grouping agreement with notmuch, and reply text right on the reply
parsers' published suites (talon, planer, email-reply-parser) and this project's own
(test/fixtures/reply), side by side with planer and email-reply-parser. Exits 1 when a score is below its
threshold, 0 otherwise, and 0 with a message when the corpus is absent.

Options:
  --corpus DIR   corpus folder (default: ../shared/corpus)
  --json         print the scorecard as one JSON object
  --verbose      list every disagreement, not just the first few of each kind

Examples:
  npm run conformance
  npx postroom conformance --json | jq .thresholds`,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: { corpus: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' } },
    });
    const dir = values.corpus ?? DEFAULT_CORPUS_DIR;
    if (!corpusPresent(dir)) {
      process.stdout.write(`conformance: skipped: no corpus at ${dir} (it ships beside the project as ../shared/corpus)\n`);
      return 0;
    }
    const card = await runConformance(dir);
    if (values.json) process.stdout.write(`${JSON.stringify(card)}\n`);
    else printScorecard(card, { verbose: values.verbose ?? false });
    return card.thresholds.every((t) => t.passed) ? 0 : 1;
  },
};
