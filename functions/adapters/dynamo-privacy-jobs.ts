import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PrivacyJobSchema, type PrivacyJob } from '../core/governance/privacy-job.ts';
import type { PrivacyJobStore } from '../core/ports/privacy.ts';
import { PRIVACY_PARTITION, itemKeys } from './dynamo-schema.ts';
import { putNextVersion, queryAll } from './dynamo-util.ts';

/** Export and erasure jobs: `job` JSON, `version` and `addressHash`, in one partition. */
export class DynamoPrivacyJobs implements PrivacyJobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<PrivacyJob | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKeys.privacyJob(id), ConsistentRead: true }));
    return typeof out.Item?.job === 'string' ? PrivacyJobSchema.parse(JSON.parse(out.Item.job)) : null;
  }

  put(job: PrivacyJob): Promise<boolean> {
    return putNextVersion(this.client, this.tableName, {
      ...itemKeys.privacyJob(job.id),
      job: JSON.stringify(PrivacyJobSchema.parse(job)),
      version: job.version,
      addressHash: job.addressHash,
    });
  }

  async list(): Promise<PrivacyJob[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PRIVACY_PARTITION },
      ConsistentRead: true,
    });
    return items.flatMap((i) => (typeof i.job === 'string' ? [PrivacyJobSchema.parse(JSON.parse(i.job))] : []));
  }
}
