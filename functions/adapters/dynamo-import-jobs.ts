import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImportJobSchema, type ImportJob } from '../core/model/import-job.ts';
import type { ImportJobStore } from '../core/ports/import-jobs.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed } from './dynamo-util.ts';

/** Import jobs: `job` JSON and `version`, under the channel. */
export class DynamoImportJobs implements ImportJobStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(channelId: string, id: string): Promise<ImportJob | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKeys.importJob(channelId, id), ConsistentRead: true }));
    return typeof out.Item?.job === 'string' ? ImportJobSchema.parse(JSON.parse(out.Item.job)) : null;
  }

  async put(job: ImportJob): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...itemKeys.importJob(job.channelId, job.id), job: JSON.stringify(job), version: job.version },
        ConditionExpression: job.version === 1 ? 'attribute_not_exists(pk)' : 'version = :previous',
        ...(job.version === 1 ? {} : { ExpressionAttributeValues: { ':previous': job.version - 1 } }),
      }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
