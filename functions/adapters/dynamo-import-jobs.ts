import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ImportJobSchema, type ImportJob } from '../core/model/import-job.ts';
import type { ImportJobStore } from '../core/ports/import-jobs.ts';
import { itemKeys } from './dynamo-schema.ts';
import { putNextVersion } from './dynamo-util.ts';

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

  put(job: ImportJob): Promise<boolean> {
    return putNextVersion(this.client, this.tableName, { ...itemKeys.importJob(job.channelId, job.id), job: JSON.stringify(job), version: job.version });
  }
}
