import { DynamoCredentialStore } from '../adapters/dynamo-credential-store.ts';
import { DynamoSourceKeys, DynamoSourceStateStore } from '../adapters/dynamo-source-state.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import type { ReceiveMailDeps } from '../core/inbound/receive-mail.ts';
import type { SecretCipher } from '../core/ports/outbound.ts';
import type { PollSourceDeps } from '../core/sources/poll-source.ts';
import type { HostAllowance } from '../adapters/outbound/host-guard.ts';
import type { AwsClients } from './clients.ts';
import { randomSecret, sha256Hex } from '../adapters/node-digests.ts';
import { RAW_MAIL_PREFIX } from './ses-event.ts';
import { sourceConnectors } from './source-connectors.ts';

export interface SourceDepsOptions {
  readonly tableName: string;
  readonly bucket: string;
  readonly cipher: SecretCipher;
  readonly allow: HostAllowance;
  readonly ca?: string;
}

/**
 * The adapters of `pollSource` and of imports on top of the inbound pipeline's (`receive`): the
 * source state, the settled keys and content hashes, the raw-mail writer (under SES's prefix, so
 * retention treats both alike), and the mailbox connectors with the channel's credentials.
 */
export function sourceAdapters(clients: AwsClients, receive: ReceiveMailDeps, options: SourceDepsOptions): PollSourceDeps {
  const { db } = clients;
  // One token cache and host guard per container.
  const connect = sourceConnectors({
    credentials: new DynamoCredentialStore(db, options.tableName),
    cipher: options.cipher,
    clock: receive.clock,
    allow: options.allow,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  return {
    receive,
    states: new DynamoSourceStateStore(db, options.tableName),
    keys: new DynamoSourceKeys(db, options.tableName),
    raw: new S3RawMailStore(clients.s3, options.bucket),
    rawKeyOf: (mailId) => `${RAW_MAIL_PREFIX}${mailId}`,
    sha256: sha256Hex,
    secret: randomSecret,
    failed: receive.failed,
    clock: receive.clock,
    connect,
  };
}
