import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PostroomConfig } from '../functions/core/model/postroom-config.ts';
import { AdminApi } from './constructs/admin-api.ts';
import { ChannelSeed } from './constructs/channel-seed.ts';
import { DEFAULT_SUPPRESSION, FeedbackPipeline } from './constructs/feedback-pipeline.ts';
import { InboundPipeline } from './constructs/inbound-pipeline.ts';
import { MailboxSources } from './constructs/mailbox-sources.ts';
import { MailStorage } from './constructs/mail-storage.ts';
import { OutboundPipeline } from './constructs/outbound-pipeline.ts';
import { Receiving } from './constructs/receiving.ts';
import { SkillQueues } from './constructs/skill-queues.ts';
import { Tables } from './constructs/tables.ts';

export interface PostroomStackProps extends StackProps {
  /** The validated configuration (`PostroomConfigSchema`). */
  readonly config: PostroomConfig;
}

/**
 * Everything Postroom needs in one stack, so `cdk deploy` just works: mail storage, the table,
 * skill queues, the inbound pipeline, the SES receipt rules, mailbox sources (IMAP, POP3, Graph), the outbound pipeline and delivery feedback. Stateful resources are retained
 * when the stack is deleted.
 */
export class PostroomStack extends Stack {
  readonly storage: MailStorage;
  readonly tables: Tables;
  readonly queues: SkillQueues;
  readonly inbound: InboundPipeline;
  readonly receiving: Receiving;
  readonly outbound: OutboundPipeline;
  readonly admin: AdminApi;
  readonly feedback: FeedbackPipeline;
  readonly sources: MailboxSources;

  constructor(scope: Construct, id: string, props: PostroomStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = retentionOf(config.retention.logDays);

    this.storage = new MailStorage(this, 'MailStorage', { retentionDays: config.retention.rawMailDays });
    this.tables = new Tables(this, 'Tables');
    this.queues = new SkillQueues(this, 'SkillQueues', { skills: config.skills });
    this.outbound = new OutboundPipeline(this, 'Outbound', {
      storage: this.storage,
      table: this.tables.table,
      domains: config.domains,
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      logRetention,
    });
    const suppression = { ...DEFAULT_SUPPRESSION, scope: config.suppression.scope };
    this.inbound = new InboundPipeline(this, 'Inbound', {
      storage: this.storage,
      table: this.tables.table,
      queues: this.queues,
      outboundQueue: this.outbound.queue,
      runtimeQueuePrefix: runtimeQueuePrefix(this.stackName),
      suppression,
      logRetention,
      reservedConcurrency: config.receiving.reservedConcurrency,
    });
    this.feedback = new FeedbackPipeline(this, 'Feedback', { table: this.tables.table, configurationSet: this.outbound.configurationSet, suppression, logRetention });
    this.sources = new MailboxSources(this, 'Sources', {
      storage: this.storage,
      table: this.tables.table,
      queues: this.queues,
      outboundQueue: this.outbound.queue,
      credentialsKey: this.outbound.credentialsKey,
      runtimeQueuePrefix: runtimeQueuePrefix(this.stackName),
      suppression,
      // Mailbox hosts are admin-set like SMTP hosts: one allow-list for both.
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      // Graph's change notifications reach the function through the admin API's webhook route
      // (its `$default` stage serves routes at the endpoint's root). The API is built below, as
      // its function queues imports on this construct's poll queue; the URL resolves at synthesis.
      notificationBaseUrl: Lazy.string({ produce: () => this.admin.api.apiEndpoint }),
      logRetention,
    });
    const skills = new Map([...this.queues.skills].map(([name, q]) => [name, { ...q, description: config.skills.find((s) => s.name === name)?.description ?? '' }]));
    new ChannelSeed(this, 'ChannelSeed', { table: this.tables.table, channels: config.channels, skills, agents: config.users, logRetention });
    this.receiving = new Receiving(this, 'Receiving', {
      channels: config.channels,
      bucket: this.storage.bucket,
      handler: this.inbound.handler.function,
      scanEnabled: config.receiving.scanEnabled,
      requireTls: config.receiving.requireTls,
    });

    this.admin = new AdminApi(this, 'AdminApi', {
      api: config.api,
      table: this.tables.table,
      auditTable: this.tables.audit,
      storage: this.storage,
      queues: this.queues,
      runtimeQueuePrefix: runtimeQueuePrefix(this.stackName),
      ruleSet: this.receiving.ruleSet,
      inboundFunction: this.inbound.handler.function,
      domains: config.domains,
      scanEnabled: config.receiving.scanEnabled,
      requireTls: config.receiving.requireTls,
      outboundQueue: this.outbound.queue,
      pollQueue: this.sources.pollQueue,
      graphWebhook: this.sources.handler.function,
      credentialKey: this.outbound.credentialsKey,
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      logRetention,
    });

    new CfnOutput(this, 'RuleSetName', {
      value: this.receiving.ruleSet.receiptRuleSetName,
      description: 'Activate once after the first deploy: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    });
    new CfnOutput(this, 'MailBucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.tables.table.tableName });
    new CfnOutput(this, 'AuditTableName', { value: this.tables.audit.table.tableName, description: 'The append-only audit log' });
    new CfnOutput(this, 'FailedMailQueueUrl', { value: this.queues.failedMail.queueUrl });
    new CfnOutput(this, 'OutboundQueueUrl', { value: this.outbound.queue.queueUrl, description: 'Agents\' replies waiting to be sent' });
    new CfnOutput(this, 'SourcePollDeadLetterQueueUrl', { value: this.sources.deadLetterQueue.queueUrl, description: 'Mailbox polls that failed every receive' });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.outbound.configurationSet.configurationSetName });
    for (const [skill, { queue }] of this.queues.skills) {
      new CfnOutput(this, `SkillQueueUrl-${skill}`, { value: queue.queueUrl, description: `Routed messages for skill ${skill}` });
    }
  }
}

/**
 * Name prefix of the skill queues the admin API creates (`<prefix><skill>.fifo`): from the stack
 * name, short enough that prefix, a 40-character skill and `-dlq.fifo` fit SQS's 80 characters.
 */
export function runtimeQueuePrefix(stackName: string): string {
  return `${stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 24)}-skill-`;
}

/** CloudWatch Logs accepts only certain retention periods: the shortest one that keeps `days`. */
function retentionOf(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is logs.RetentionDays => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return allowed.find((v) => v >= days) ?? logs.RetentionDays.TEN_YEARS;
}
