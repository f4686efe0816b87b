import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AUDIT_TABLE_SCHEMA } from '../../functions/adapters/dynamo-audit-log.ts';
import { AUDIT_PARTITION, TTL_ATTRIBUTE } from '../../functions/adapters/dynamo-schema.ts';

export interface AuditTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Writes that remove entries or change them in bulk: no principal may make them. */
export const AUDIT_DENIED_FOR_ALL = ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'] as const;
/** Writes that add an entry: only the writer (and the redactor, for the record of its erasure) may make them. */
export const AUDIT_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:PartiQLInsert'] as const;
/**
 * Changing one entry in place: denied to every principal but the redactor, the privacy function,
 * which replaces an erased address in the entries naming it (data-protection law's erasure
 * reaches the audit log too); normal operation never changes an entry.
 */
export const AUDIT_REDACT_ACTIONS = ['dynamodb:UpdateItem'] as const;

/**
 * The audit log, append-only: a table of its own whose resource policy denies every principal
 * (the account's administrators included) updating, deleting and batch-writing items, and every
 * principal but the one writer adding them; the writer puts new entries only
 * (`DynamoAuditLog.append` refuses to overwrite one) and queries. The one exception is the
 * redactor (`allowRedactor`, the privacy function): an erasure replaces the erased address in the
 * entries naming it. Point-in-time recovery and deletion protection on, retained with the stack.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;
  private writer: iam.IRole | undefined;
  private redactor: iam.IRole | undefined;
  private readonly onlyTheRedactorChanges: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: AuditTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const string = dynamodb.AttributeType.STRING;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: AUDIT_TABLE_SCHEMA.partitionKey, type: string },
      sortKey: { name: AUDIT_TABLE_SCHEMA.sortKey, type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Entries expire after the audit retention (config `retention.auditDays`): DynamoDB's own
      // TTL deletes them, which the policy below (for principals) does not govern.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.table.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EntriesAreNeverChanged',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...AUDIT_DENIED_FOR_ALL],
        resources: ['*'],
      }),
    );
    // Without a redactor nobody may change an entry; `allowRedactor` excepts that one role.
    this.onlyTheRedactorChanges = new iam.PolicyStatement({
      sid: 'OnlyTheRedactorChanges',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...AUDIT_REDACT_ACTIONS],
      resources: ['*'],
    });
    this.table.addToResourcePolicy(this.onlyTheRedactorChanges);
  }

  /**
   * Makes `role` the one writer: it may put new entries and query them; every other principal is
   * denied adding entries. A table has one writer, so a second call fails.
   */
  allowWriter(role: iam.IRole): void {
    if (this.writer) throw new Error(`${this.node.path}: the audit table has a writer already`);
    this.writer = role;
    this.table.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheWriterAppends',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...AUDIT_APPEND_ACTIONS],
        resources: ['*'],
        // The redactor appends the record of each erasure it made.
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.any({ produce: () => (this.redactor ? [role.roleArn, this.redactor.roleArn] : role.roleArn) }) },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:Query'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_PARTITION] } },
      }),
    );
  }

  /**
   * Makes `role` the one redactor: it may query entries, replace an entry in place (UpdateItem:
   * the erasure of an address in the entries naming it) and append the record of its erasure; no
   * other principal may change an entry. A table has one redactor, so a second call fails.
   */
  allowRedactor(role: iam.IRole): void {
    if (this.redactor) throw new Error(`${this.node.path}: the audit table has a redactor already`);
    this.redactor = role;
    this.onlyTheRedactorChanges.addCondition('ArnNotEquals', { 'aws:PrincipalArn': role.roleArn });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_PARTITION] } },
      }),
    );
  }
}
