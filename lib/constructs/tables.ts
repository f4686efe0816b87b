import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { SLA_INDEX_ATTRIBUTES, TABLE_SCHEMA, TTL_ATTRIBUTE } from '../../functions/adapters/dynamo-schema.ts';
import { AuditTable } from './audit-table.ts';

export interface TablesProps {
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Postroom table: conversations, messages, Message-ID claims, ticket and reply-token
 * indexes, ticket counters, inbound records, failed mail and channel settings, keyed as
 * `functions/adapters/dynamo-schema.ts` describes. On demand, point-in-time recovery, encrypted.
 * Beside it, the append-only audit table (`AuditTable`).
 */
export class Tables extends Construct {
  readonly table: dynamodb.Table;
  readonly audit: AuditTable;

  constructor(scope: Construct, id: string, props: TablesProps = {}) {
    super(scope, id);
    const { partitionKey, sortKey, failedIndex, slaIndex } = TABLE_SCHEMA;
    const string = dynamodb.AttributeType.STRING;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: string },
      sortKey: { name: sortKey, type: string },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Window events and acknowledgement claims expire once they no longer count; conversations,
      // messages outside them and failed mail by the retention settings (`Retention`).
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // What TTL deleted, for the expiry to delete what the item leaves behind (`Retention`).
      stream: dynamodb.StreamViewType.OLD_IMAGE,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: failedIndex.indexName,
      partitionKey: { name: failedIndex.partitionKey, type: string },
      sortKey: { name: failedIndex.sortKey, type: string },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // Conversations by when their next SLA event falls due; only those that owe one (sparse).
    this.table.addGlobalSecondaryIndex({
      indexName: slaIndex.indexName,
      partitionKey: { name: slaIndex.partitionKey, type: string },
      sortKey: { name: slaIndex.sortKey, type: string },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...SLA_INDEX_ATTRIBUTES],
    });
    this.audit = new AuditTable(this, 'Audit', { removalPolicy });
  }
}
