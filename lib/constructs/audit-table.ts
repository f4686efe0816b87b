import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AUDIT_TABLE_SCHEMA } from '../../functions/adapters/dynamo-audit-log.ts';
import { AUDIT_PARTITION } from '../../functions/adapters/dynamo-schema.ts';

export interface AuditTableProps {
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Writes that change or remove an entry: no principal may make them. */
export const AUDIT_DENIED_FOR_ALL = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;
/** Writes that add an entry: only the writer may make them. */
export const AUDIT_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:PartiQLInsert'] as const;

/**
 * The audit log, append-only: a table of its own whose resource policy denies every principal
 * (the account's administrators included) updating, deleting and batch-writing items, and every
 * principal but the one writer adding them; the writer puts new entries only
 * (`DynamoAuditLog.append` refuses to overwrite one) and queries. Point-in-time recovery and
 * deletion protection on, retained with the stack.
 */
export class AuditTable extends Construct {
  readonly table: dynamodb.Table;
  private writer: iam.IRole | undefined;

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
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.table.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'EntriesAreNeverChanged',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...AUDIT_DENIED_FOR_ALL],
      resources: ['*'],
    }));
  }

  /**
   * Makes `role` the one writer: it may put new entries and query them; every other principal is
   * denied adding entries. A table has one writer, so a second call fails.
   */
  allowWriter(role: iam.IRole): void {
    if (this.writer) throw new Error(`${this.node.path}: the audit table has a writer already`);
    this.writer = role;
    this.table.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyTheWriterAppends',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: [...AUDIT_APPEND_ACTIONS],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:Query'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_PARTITION] } },
    }));
  }
}
