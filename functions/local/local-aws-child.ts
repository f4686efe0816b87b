/*
 * The local stand-ins for DynamoDB (dynalite) and S3 + SQS (fauxqs) in a process of their own,
 * started by `startLocalAws({ separateProcess: true })`. As in AWS, the services then live outside
 * the process that runs the functions: what the stand-ins keep (dynalite's LevelDB iterators,
 * fauxqs's object buffers) does not count in that process's memory, which the soak measures.
 *
 * argv[2] is the JSON of `LocalAwsChildSpec`. The child binds 127.0.0.1 only, answers
 * `{ ready: { dynamodb, s3 } }` (the two ports) or `{ error }` over the IPC channel, and exits
 * when that channel closes, so a parent that dies leaves no server behind.
 */
import { type LocalAwsChildSpec, startLocalServers } from './local-aws.ts';

process.on('disconnect', () => process.exit(0));

const spec = JSON.parse(process.argv[2] ?? '{}') as LocalAwsChildSpec;
startLocalServers(spec.dynamoPath).then(
  (servers) => {
    process.send?.({ ready: servers.ports });
    const stop = (): void => void servers.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error: unknown) => {
    process.send?.({ error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
