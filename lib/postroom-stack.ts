import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PostroomConfig } from '../functions/core/model/postroom-config.ts';
import { AdminApi } from './constructs/admin-api.ts';
import { AgentConsole } from './constructs/console.ts';
import { ChannelSeed } from './constructs/channel-seed.ts';
import { DEFAULT_SUPPRESSION, FeedbackPipeline } from './constructs/feedback-pipeline.ts';
import { InboundPipeline } from './constructs/inbound-pipeline.ts';
import { MailboxSources } from './constructs/mailbox-sources.ts';
import { MailStorage } from './constructs/mail-storage.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OutboundPipeline } from './constructs/outbound-pipeline.ts';
import { Receiving } from './constructs/receiving.ts';
import { Reconciliation } from './constructs/reconciliation.ts';
import { Sla } from './constructs/sla.ts';
import { SkillQueues } from './constructs/skill-queues.ts';
import { Tables } from './constructs/tables.ts';
import { Retention } from './constructs/retention.ts';
import { Privacy } from './constructs/privacy.ts';

export interface PostroomStackProps extends StackProps {
  /** The validated configuration (`PostroomConfigSchema`). */
  readonly config: PostroomConfig;
}

/**
 * Everything Postroom needs in one stack, so `cdk deploy` just works: mail storage, the table,
 * skill queues, the inbound pipeline, the SES receipt rules, mailbox sources (IMAP, POP3, Graph), the outbound pipeline and delivery feedback,
 * the reconciliation of raw mail with processing records, and the alarms (to an SNS topic) and dashboard of it all.
 * Stateful resources are retained when the stack is deleted.
 */
export class PostroomStack extends Stack {
  readonly storage: MailStorage;
  readonly tables: Tables;
  readonly queues: SkillQueues;
  readonly inbound: InboundPipeline;
  readonly receiving: Receiving;
  readonly outbound: OutboundPipeline;
  readonly admin: AdminApi;
  /** The agent console, when the API takes JWTs (a browser cannot sign SigV4 requests); undefined under IAM. */
  readonly console?: AgentConsole;
  readonly feedback: FeedbackPipeline;
  readonly sources: MailboxSources;
  readonly reconciliation: Reconciliation;
  readonly sla: Sla;
  readonly retention: Retention;
  /** Export and erasure of one address's data (ADM-2). */
  readonly privacy: Privacy;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: PostroomStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = retentionOf(config.retention.logDays);

    this.storage = new MailStorage(this, 'MailStorage');
    this.tables = new Tables(this, 'Tables');
    this.queues = new SkillQueues(this, 'SkillQueues', { skills: config.skills });
    this.outbound = new OutboundPipeline(this, 'Outbound', {
      storage: this.storage,
      table: this.tables.table,
      domains: config.domains,
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      retention: config.retention,
      logRetention,
    });
    const suppression = { ...DEFAULT_SUPPRESSION, scope: config.suppression.scope };
    // What every function that runs the inbound steps is built on: inbound, mailbox sources, reconciliation.
    const receiveMail = {
      storage: this.storage,
      table: this.tables.table,
      queues: this.queues,
      outboundQueue: this.outbound.queue,
      runtimeQueuePrefix: runtimeQueuePrefix(this.stackName),
      suppression,
      retention: config.retention,
      // The account's default SLA, for channels without their own: the clocks start on the inbound path.
      sla: config.sla,
      logRetention,
    };
    this.inbound = new InboundPipeline(this, 'Inbound', { ...receiveMail, reservedConcurrency: config.receiving.reservedConcurrency });
    this.feedback = new FeedbackPipeline(this, 'Feedback', {
      table: this.tables.table,
      configurationSet: this.outbound.configurationSet,
      suppression,
      logRetention,
    });
    this.sources = new MailboxSources(this, 'Sources', {
      ...receiveMail,
      credentialsKey: this.outbound.credentialsKey,
      // Mailbox hosts are admin-set like SMTP hosts: one allow-list for both.
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      // Graph's change notifications reach the function through the admin API's webhook route
      // (its `$default` stage serves routes at the endpoint's root). The API is built below, as
      // its function queues imports on this construct's poll queue; the URL resolves at synthesis.
      notificationBaseUrl: Lazy.string({ produce: () => this.admin.api.apiEndpoint }),
    });
    this.reconciliation = new Reconciliation(this, 'Reconciliation', receiveMail);
    // SLA warnings and breaches: a check every minute, events to an SNS topic (docs/sla.md).
    this.sla = new Sla(this, 'Sla', { table: this.tables.table, logRetention });
    const skills = new Map(
      [...this.queues.skills].map(([name, q]) => [name, { ...q, description: config.skills.find((s) => s.name === name)?.description ?? '' }]),
    );
    new ChannelSeed(this, 'ChannelSeed', { table: this.tables.table, channels: config.channels, skills, agents: config.users, logRetention });
    this.receiving = new Receiving(this, 'Receiving', {
      channels: config.channels,
      bucket: this.storage.bucket,
      handler: this.inbound.handler.function,
      scanEnabled: config.receiving.scanEnabled,
      requireTls: config.receiving.requireTls,
    });

    this.privacy = new Privacy(this, 'Privacy', { storage: this.storage, table: this.tables.table, auditTable: this.tables.audit, logRetention });
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
      privacyQueue: this.privacy.queue,
      graphWebhook: this.sources.handler.function,
      credentialKey: this.outbound.credentialsKey,
      allowedPrivateCidrs: config.outbound.allowedPrivateCidrs,
      retention: config.retention,
      logRetention,
    });

    // Retention: TTL on the records, the stream's expiry of what they leave behind, settings for every writer.
    this.retention = new Retention(this, 'Retention', {
      settings: config.retention,
      storage: this.storage,
      table: this.tables.table,
      logRetention,
    });

    if (config.api.auth !== 'iam') {
      this.console = new AgentConsole(this, 'Console', {
        api: this.admin.api,
        uploads: this.storage.bucket,
        accessLogs: this.storage.accessLogs,
        logRetention,
      });
    }

    this.monitoring = this.monitor(config);

    new CfnOutput(this, 'RuleSetName', {
      value: this.receiving.ruleSet.receiptRuleSetName,
      description: 'Activate once after the first deploy: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    });
    new CfnOutput(this, 'MailBucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: this.tables.table.tableName });
    new CfnOutput(this, 'AuditTableName', { value: this.tables.audit.table.tableName, description: 'The append-only audit log' });
    new CfnOutput(this, 'FailedMailQueueUrl', { value: this.queues.failedMail.queueUrl });
    new CfnOutput(this, 'OutboundQueueUrl', { value: this.outbound.queue.queueUrl, description: "Agents' replies waiting to be sent" });
    new CfnOutput(this, 'SourcePollDeadLetterQueueUrl', {
      value: this.sources.deadLetterQueue.queueUrl,
      description: 'Mailbox polls that failed every receive',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Every alarm of the stack notifies this topic' });
    new CfnOutput(this, 'SlaTopicArn', {
      value: this.sla.topic.topicArn,
      description: 'SLA warning and breach events (docs/sla.md): subscribe a queue, a function or mail',
    });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.outbound.configurationSet.configurationSetName });
    for (const [skill, { queue }] of this.queues.skills) {
      new CfnOutput(this, `SkillQueueUrl-${skill}`, { value: queue.queueUrl, description: `Routed messages for skill ${skill}` });
    }
  }

  /**
   * Alarms, all to one topic, and the dashboard: errors and throttles of every function, every
   * dead-letter queue (and the failed-mail destination), failing mailbox sources, and the
   * reconciliation's findings.
   */
  private monitor(config: PostroomConfig): Monitoring {
    const monitoring = new Monitoring(this, 'Monitoring', { emails: config.alarms.emails });
    const crashed = (what: string) => `The ${what} function crashed: the batch returns to the queue, is retried, then dead-lettered`;
    monitoring
      .monitorFunction({
        name: 'Inbound',
        function: this.inbound.handler.function,
        errors: 'The inbound function failed on a mail: Lambda retries it, then puts the SES event on the failed-mail queue',
      })
      .monitorFunction({ name: 'Outbound', function: this.outbound.handler.function, errors: crashed('outbound') })
      .monitorFunction({ name: 'Feedback', function: this.feedback.handler.function, errors: crashed('feedback') })
      .monitorFunction({
        name: 'Sources',
        function: this.sources.handler.function,
        errors: 'The mailbox function failed: a dispatch (mailboxes not polled) or a poll (retried, then dead-lettered)',
      })
      .monitorFunction({
        name: 'AdminApi',
        function: this.admin.handler.function,
        errors: 'The admin API function crashed: the request was answered with a server error',
      })
      .monitorFunction({
        name: 'Retention',
        function: this.retention.handler.function,
        errors: 'The expiry failed on what DynamoDB TTL deleted: the stream retries the record, then puts it on the retention dead-letter queue',
      })
      .monitorFunction({
        name: 'Privacy',
        function: this.privacy.handler.function,
        errors: 'An export or erasure step failed: the queue delivers it again (the job goes on from its last save), then dead-letters it',
      })
      .monitorFunction({
        name: 'SlaCheck',
        function: this.sla.handler.function,
        errors: 'An SLA check failed (the table or the topic refused): the next check, a minute later, publishes what this one did not',
      })
      .monitorFunction({
        name: 'Reconciliation',
        function: this.reconciliation.handler.function,
        errors:
          'A reconciliation run failed: a mail without a processing record could not be recovered (the logs name it) or the run broke; the next run tries again',
      });
    for (const [skill, { queue, deadLetterQueue }] of this.queues.skills) {
      monitoring.monitorQueue({ name: `Skill-${skill}`, queue, deadLetterQueue, deadLetters: `Messages of skill ${skill} that agents' apps failed to handle` });
    }
    const { outbound, feedback, sources, reconciliation } = this;
    monitoring
      .monitorDeadLetters({
        name: 'FailedMail',
        queue: this.queues.failedMail,
        deadLetters: 'Inbound mail whose processing failed every retry, with its SES event, for replay',
      })
      .monitorDeadLetters({
        name: 'RetentionExpiry',
        queue: this.retention.deadLetterQueue,
        deadLetters:
          'Expired records whose leftovers (messages, raw mail, attachments) the expiry could not delete: each names its stream position; see docs/retention.md',
      })
      .monitorQueue({
        name: 'Outbound',
        queue: outbound.queue,
        deadLetterQueue: outbound.deadLetterQueue,
        deadLetters: 'Outbound jobs the outbound function could not process',
      })
      .monitorQueue({
        name: 'Feedback',
        queue: feedback.queue,
        deadLetterQueue: feedback.deadLetterQueue,
        deadLetters: 'SES delivery events the feedback function could not apply',
      })
      .monitorQueue({
        name: 'Privacy',
        queue: this.privacy.queue,
        deadLetterQueue: this.privacy.deadLetterQueue,
        deadLetters:
          'Steps of export or erasure jobs that failed every receive: GET /privacy/erasures/{id} (or exports) shows where the job stopped; queue its id again to go on',
      })
      .monitorQueue({
        name: 'SourcePolls',
        queue: sources.pollQueue,
        deadLetterQueue: sources.deadLetterQueue,
        deadLetters: 'Mailbox polls the mailbox function failed on every receive',
      })
      .monitorCounts('Mailbox sources', [
        {
          name: 'SourceFailing',
          title: 'Failing sources',
          metric: sources.failingSources,
          description: 'A mailbox source is failing (login refused or server unreachable): GET /channels/{id}/source says which and why',
        },
      ])
      .monitorCounts('Channel credentials', [
        {
          name: 'CredentialsFailing',
          title: 'Refused SMTP logins and OAuth refreshes',
          metric: outbound.failingCredentials,
          description:
            "A channel's SMTP server or OAuth token endpoint refused its credentials (changed password, revoked consent): " +
            'GET /channels/{id}/credentials says which and why; replies of that channel fail until an admin sets them again',
        },
      ])
      .monitorCounts('Reconciliation', [
        {
          name: 'ReconciledMails',
          title: 'Mails whose invocation was lost, run now',
          metric: reconciliation.reconciledMails,
          description:
            'SES stored mail whose inbound invocation never ran: the reconciliation ran it through the inbound path, with unknown verdicts ' +
            '("lost invocation reconciled" in its logs). Find out why invocations are lost.',
        },
        {
          name: 'LostMails',
          title: 'Mails whose invocation was lost, no channel found',
          metric: reconciliation.lostMails,
          description:
            'SES stored mail whose inbound invocation never ran, and its headers name no channel: listed as failed (lost-invocation) for an operator',
        },
        {
          name: 'ReconciliationIncomplete',
          title: 'Runs stopped short of their window',
          metric: reconciliation.incompleteRuns,
          description:
            'A reconciliation run stopped short of its window (time, checks or recoveries per run): the next run goes on; ' +
            'if this persists, mail may leave the window unchecked',
        },
      ])
      .showCounts('Raw mails checked', [reconciliation.checkedMails])
      .showCounts('SLA warnings and breaches', [this.sla.warnings, this.sla.breaches]);
    return monitoring;
  }
}

/**
 * Name prefix of the skill queues the admin API creates (`<prefix><skill>.fifo`): from the stack
 * name, short enough that prefix, a 40-character skill and `-dlq.fifo` fit SQS's 80 characters.
 */
export function runtimeQueuePrefix(stackName: string): string {
  return `${stackName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 24)}-skill-`;
}

/** CloudWatch Logs accepts only certain retention periods: the shortest one that keeps `days`. */
function retentionOf(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is logs.RetentionDays => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return allowed.find((v) => v >= days) ?? logs.RetentionDays.TEN_YEARS;
}
