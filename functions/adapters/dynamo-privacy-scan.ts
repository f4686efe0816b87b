import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SubjectMatcher } from '../core/governance/address-match.ts';
import { AuditEntrySchema, type AuditEntry } from '../core/model/admin-resources.ts';
import { StoredMessageSchema } from '../core/model/stored-message.ts';
import { SuppressionEntrySchema } from '../core/model/suppression.ts';
import type { AuditRecords, Finding, ItemRef, ScanCursor, ScanPage, SubjectScan } from '../core/ports/privacy.ts';
import { DynamoAuditLog } from './dynamo-audit-log.ts';
import { AUDIT_PARTITION, PRIVACY_PARTITION, itemKeys } from './dynamo-schema.ts';
import { withoutKeys } from './dynamo-util.ts';

/** Items read per scan page: an erasure works each page's findings before the cursor moves on. */
export const SCAN_PAGE_ITEMS = 250;

/** Item kinds by key prefix, for the names of findings (`what`). */
const KINDS: readonly (readonly [string, string])[] = [
  ['ACK#', 'acknowledgement claim'],
  ['HITS#', 'window event'],
  ['FEEDBACK', 'feedback record'],
  ['OUTBOUND#', 'send record'],
  ['OUTMSG#', 'outbound lookup'],
  ['OUTMID', 'outbound lookup'],
  ['MSGID', 'Message-ID claim'],
  ['SRCHASH#', 'source content hash'],
  ['SRCKEY#', 'source message key'],
  ['SOURCE#', 'mailbox source state'],
  ['IMPORT#', 'import job'],
  ['SUPP#', 'suppression entry'],
  ['LEASES#', 'work lease lookup'],
  ['LEASE#', 'work lease'],
  ['PRESENCE#', 'presence'],
];
/** Settings: never changed by a job, reported. */
const CONFIGURATION: readonly (readonly [string, string])[] = [
  ['CHANNEL', 'channel'],
  ['SKILL', 'skill'],
  ['AGENT', 'agent'],
  ['SIGNATURE', 'signature of agent'],
  ['TEMPLATE#', 'template'],
  ['CREDENTIAL#', 'credentials'],
];

/**
 * The Postroom table scanned page by page for one person: an item names them when its key or any
 * attribute holds their address (or a name or Message-ID the matcher knows), as `SubjectMatcher`
 * finds it. What it is follows from its key (`dynamo-schema.ts`). Failed-mail items are findings
 * whatever they hold: their raw copy decides (a mail read from a mailbox has no envelope sender).
 * Strongly consistent, so what was written before the job started is seen.
 */
export class DynamoSubjectScan implements SubjectScan {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pageItems = SCAN_PAGE_ITEMS,
  ) {}

  async page(m: SubjectMatcher, cursor: ScanCursor | null): Promise<ScanPage> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: this.pageItems,
        ConsistentRead: true,
        ...(cursor ? { ExclusiveStartKey: { ...cursor } } : {}),
      }),
    );
    const items = out.Items ?? [];
    const findings = items.flatMap((item) => findingsOf(item, m));
    const next = out.LastEvaluatedKey ? Object.fromEntries(Object.entries(out.LastEvaluatedKey).map(([k, v]) => [k, String(v)])) : null;
    return { findings, scanned: items.length, cursor: next };
  }

  async estimate(): Promise<number | null> {
    const out = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
    return out.Table?.ItemCount ?? null;
  }
}

/** What one item is, when it names the person. */
export function findingsOf(item: Record<string, unknown>, m: SubjectMatcher): Finding[] {
  const pk = String(item.pk ?? '');
  const sk = String(item.sk ?? '');
  if (pk === PRIVACY_PARTITION) return [];
  const ref: ItemRef = { pk, sk };
  const inKey = m.mentions(`${pk}\n${sk}`);
  const failed = pk.startsWith('INBOUND#') && sk.startsWith('FAILED#');
  if (!inKey && !failed && !m.mentions(textOf(item))) return [];
  const attributes = withoutKeys(item);
  const conversation = typeof item.conversationId === 'string' && item.conversationId !== '' ? item.conversationId : null;
  if (pk.startsWith('CONV#')) return [{ kind: 'conversation', conversationId: pk.slice('CONV#'.length) }];
  if (pk.startsWith('LOOSE#') && sk.startsWith('MSG#')) {
    const { kind: _kind, decided: _decided, ...rest } = attributes;
    const parsed = StoredMessageSchema.safeParse({ direction: 'inbound', ...rest });
    if (parsed.success) return [{ kind: 'loose-message', message: parsed.data }];
  }
  if (pk.startsWith('INBOUND#')) {
    const mail = attributes.mail as { rawKey?: unknown } | undefined;
    const rawKey =
      typeof attributes.rawKey === 'string' && attributes.rawKey !== '' ? attributes.rawKey : typeof mail?.rawKey === 'string' ? mail.rawKey : null;
    const channelId = typeof attributes.channelId === 'string' ? attributes.channelId : null;
    return [{ kind: 'mail', sesMessageId: pk.slice('INBOUND#'.length), rawKey, channelId, conversationId: conversation }];
  }
  if (pk.startsWith('SUPP#') && inKey) {
    const entry = SuppressionEntrySchema.safeParse(attributes);
    if (entry.success) return [{ kind: 'suppression', entry: entry.data, ref }];
  }
  const setting = CONFIGURATION.find(([prefix]) => pk.startsWith(prefix));
  if (setting) return [{ kind: 'configuration', what: `${setting[1]} ${pk.includes('#') ? `${pk.slice(pk.indexOf('#') + 1)}/` : ''}${sk}` }];
  const what = KINDS.find(([prefix]) => pk.startsWith(prefix))?.[1] ?? 'item';
  // A claim naming the person is theirs: it goes, and its conversation is worked too.
  // It names its conversation too: an item of a held conversation stays as it is, as the conversation does.
  const own: Finding = { kind: inKey || pk.startsWith('MSGID') ? 'keyed' : 'record', what, ref, item: attributes, conversationId: conversation };
  return conversation ? [{ kind: 'conversation', conversationId: conversation }, own] : [own];
}

/** An item as text for matching: sets as lists, binary left out. */
function textOf(item: Record<string, unknown>): string {
  return JSON.stringify(item, (_key, value: unknown) => (value instanceof Set ? [...value] : value instanceof Uint8Array ? '' : value));
}

/**
 * The audit table as an erasure and an export read it: one partition, page by page; a redacted
 * entry replaces the one it was made from in place (UpdateItem: the one write besides appending
 * that the table's policy allows, and only to the privacy function).
 */
export class DynamoAuditRecords implements AuditRecords {
  private readonly log: DynamoAuditLog;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pageItems = 200,
  ) {
    this.log = new DynamoAuditLog(client, tableName);
  }

  async page(cursor: ScanCursor | null): Promise<{ entries: AuditEntry[]; cursor: ScanCursor | null }> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': AUDIT_PARTITION },
        Limit: this.pageItems,
        ConsistentRead: true,
        ...(cursor ? { ExclusiveStartKey: { ...cursor } } : {}),
      }),
    );
    const entries = (out.Items ?? []).flatMap((i) => {
      const parsed = AuditEntrySchema.safeParse(withoutKeys(i));
      return parsed.success ? [parsed.data] : [];
    });
    const next = out.LastEvaluatedKey ? Object.fromEntries(Object.entries(out.LastEvaluatedKey).map(([k, v]) => [k, String(v)])) : null;
    return { entries, cursor: next };
  }

  async replace(entry: AuditEntry): Promise<void> {
    const parsed = AuditEntrySchema.parse(entry);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: itemKeys.audit(parsed.at, parsed.id),
        // Every name through a placeholder: `fields` and `action` are DynamoDB reserved words.
        UpdateExpression: `SET #actor = :actor, #resource = :resource, #fields = :fields, #action = :action, #request = :request${parsed.onBehalfOf === undefined ? ' REMOVE #behalf' : ', #behalf = :behalf'}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#actor': 'actor',
          '#resource': 'resource',
          '#fields': 'fields',
          '#action': 'action',
          '#request': 'requestId',
          '#behalf': 'onBehalfOf',
        },
        ExpressionAttributeValues: {
          ':actor': parsed.actor,
          ':resource': parsed.resource,
          ':fields': parsed.fields,
          ':action': parsed.action,
          ':request': parsed.requestId,
          ...(parsed.onBehalfOf === undefined ? {} : { ':behalf': parsed.onBehalfOf }),
        },
      }),
    );
  }

  append(entry: AuditEntry): Promise<void> {
    return this.log.append(entry);
  }
}
