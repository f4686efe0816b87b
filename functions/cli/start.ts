import type { Command } from './command.ts';

export const startCommand: Command = {
  help: `Usage: postroom start

Runs the email channel on this machine with no AWS account.`,
  async run() {
    process.stdout.write(
      [
        'postroom: the local sandbox (SMTP in, local DynamoDB/S3/SQS, admin API) is not built yet.',
        'What works today:',
        '  npx postroom inspect FILE...    parse and classify mail files',
        '  npx postroom thread FILE...     thread mail files into conversations',
        '  npm run conformance             score the core on the real-mail corpus',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
