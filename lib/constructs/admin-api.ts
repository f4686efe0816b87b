import { RETENTION_DEFAULTS, type RetentionSettings } from '../../functions/core/model/retention.ts';
import { retentionEnv } from '../../functions/runtime/env-fields.ts';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INBOUND_ATTACHMENT_PREFIX, OUTBOUND_ATTACHMENT_PREFIX } from '../../functions/adapters/s3-attachment-links.ts';
import type { ApiConfig } from '../../functions/core/model/postroom-config.ts';
import type { AdminEnvInput } from '../../functions/runtime/admin-env.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import type { AuditTable } from './audit-table.ts';
import { administeredKey, allowCredentialUse } from './key-policy.ts';
import { IMPORT_ARCHIVE_PREFIX, type MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';
import { OUTBOUND_PLAN_PREFIX } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { EXPORT_ARCHIVE_PREFIX } from '../../functions/adapters/s3-export-archives.ts';
import { nagArn } from './nag-arn.ts';
import type { SkillQueues } from './skill-queues.ts';

export interface AdminApiProps {
  readonly api: ApiConfig;
  readonly table: dynamodb.ITable;
  /** The append-only audit log; the admin function becomes its one writer. */
  readonly auditTable: AuditTable;
  readonly storage: MailStorage;
  readonly queues: SkillQueues;
  /** Name prefix of skill queues the API creates at runtime. */
  readonly runtimeQueuePrefix: string;
  readonly ruleSet: ses.IReceiptRuleSet;
  readonly inboundFunction: lambda.IFunction;
  readonly domains: readonly string[];
  readonly scanEnabled: boolean;
  readonly requireTls: boolean;
  /** The outbound FIFO queue: the reply route queues agents' replies there. */
  readonly outboundQueue: sqs.IQueue;
  /** The mailbox function's FIFO poll queue (`MailboxSources.pollQueue`): a started import job is queued there. */
  readonly pollQueue: sqs.IQueue;
  /** The privacy function's queue (`Privacy.queue`): a requested export or erasure is queued there. */
  readonly privacyQueue: sqs.IQueue;
  /**
   * The mailbox function (`MailboxSources.handler`), served `POST /webhooks/graph/{channelId}`
   * for Microsoft Graph's change notifications: the API's one route without authorization.
   * @default no webhook route (Graph sources are polled only)
   */
  readonly graphWebhook?: lambda.IFunction;
  /**
   * Key of channel credentials; a rotating key of its own when absent.
   * @default a new KMS key with rotation
   */
  readonly credentialKey?: kms.IKey;
  /**
   * Private CIDR blocks the credential test and the OAuth code exchange may reach, as the outbound function.
   * @default none
   */
  readonly allowedPrivateCidrs?: readonly string[];
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /** The account-wide retention (config `retention`): each record's expiry rides on the write that stores it; the documented defaults when absent. */
  readonly retention?: RetentionSettings;
}

/**
 * The route of Graph's change notifications, not part of the admin app (its OpenAPI document):
 * the mailbox function answers it. `graphNotificationUrl` (`functions/runtime/graph-webhook.ts`)
 * builds the URL Graph is given from the API endpoint and this path.
 */
export const GRAPH_WEBHOOK_PATH = '/webhooks/graph/{channelId}';
/**
 * Throttling of the webhook route, lower than the stage's default and capped by it: anyone who
 * knows the URL can call it, while Graph sends one notification per new message and subscription,
 * which a busy mailbox keeps well under. A notification refused with 429 is retried by Graph, and
 * a lost one only means the mailbox is read at its next scheduled poll.
 */
export const GRAPH_WEBHOOK_THROTTLE = { rateLimit: 20, burstLimit: 50 } as const;

/** The routes of the admin app, from the committed OpenAPI document (a test keeps it in step with the code). */
function documentedRoutes(): { path: string; method: apigwv2.HttpMethod }[] {
  const doc = JSON.parse(readFileSync(fileURLToPath(new URL('../../docs/openapi.json', import.meta.url)), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ path, method: m.toUpperCase() as apigwv2.HttpMethod })));
}

/**
 * The admin and agent API: an API Gateway HTTP API with one route per documented operation,
 * each behind the IAM authorizer (SigV4, the default) or a JWT authorizer (config
 * `api.auth.jwt`), stage throttling, JSON access logs, CORS only when configured; served by one
 * admin function (`functions/admin-api.ts`) with grants for what its routes touch. With
 * `graphWebhook`, one more route without authorization, throttled on its own: Graph's change
 * notifications for the mailbox function.
 */
export class AdminApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly handler: PostroomFunction<AdminEnvInput>;
  readonly credentialKey: kms.IKey;
  readonly accessLogs: logs.LogGroup;
  /** `POST /webhooks/graph/{channelId}`, when `graphWebhook` is given. */
  readonly graphWebhookRoute?: apigwv2.HttpRoute;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { table, storage } = props;
    this.credentialKey =
      props.credentialKey ?? administeredKey(this, 'CredentialKey', { description: 'Postroom channel credentials (SMTP passwords, OAuth secrets)' });

    this.handler = new PostroomFunction<AdminEnvInput>(this, 'Handler', {
      entry: fileURLToPath(new URL('../../functions/admin-api.ts', import.meta.url)),
      description: 'Postroom admin API: channels, skills, rules, conversations, credentials',
      timeout: Duration.seconds(29),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: table.tableName,
        AUDIT_TABLE_NAME: props.auditTable.table.tableName,
        MAIL_BUCKET: storage.bucket.bucketName,
        DOMAINS: props.domains.join(','),
        SKILL_QUEUE_PREFIX: props.runtimeQueuePrefix,
        RECEIPT_RULE_SET: props.ruleSet.receiptRuleSetName,
        INBOUND_FUNCTION_ARN: props.inboundFunction.functionArn,
        SCAN_ENABLED: String(props.scanEnabled),
        REQUIRE_TLS: String(props.requireTls),
        CREDENTIALS_KEY_ARN: this.credentialKey.keyArn,
        OUTBOUND_QUEUE_URL: props.outboundQueue.queueUrl,
        POLL_QUEUE_URL: props.pollQueue.queueUrl,
        PRIVACY_QUEUE_URL: props.privacyQueue.queueUrl,
        ALLOWED_PRIVATE_CIDRS: (props.allowedPrivateCidrs ?? []).join(','),
        API_ROLE_CLAIM: props.api.roleClaim ?? '',
        LEASE_SECONDS: '40',
        ...retentionEnv(props.retention ?? RETENTION_DEFAULTS),
        POWERTOOLS_SERVICE_NAME: 'postroom-admin',
        POWERTOOLS_METRICS_NAMESPACE: 'Postroom',
      },
    });
    this.grant(props);

    const authorizer =
      props.api.auth === 'iam'
        ? new HttpIamAuthorizer()
        : new HttpJwtAuthorizer('Jwt', props.api.auth.jwt.issuer, { jwtAudience: [...props.api.auth.jwt.audience] });
    const cors = props.api.cors;
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Postroom admin and agent API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      ...(cors
        ? {
            corsPreflight: {
              allowOrigins: [...cors.allowOrigins],
              allowHeaders: [...cors.allowHeaders],
              exposeHeaders: ['etag', 'x-request-id'],
              allowMethods: [apigwv2.CorsHttpMethod.ANY],
              maxAge: Duration.seconds(cors.maxAgeSeconds),
            },
          }
        : {}),
    });
    const integration = new HttpLambdaIntegration('Admin', this.handler.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      // One permission for the API, not one per route: 47 would crowd the function's 20 KB resource policy.
      scopePermissionToRoute: false,
    });
    for (const route of documentedRoutes()) this.api.addRoutes({ path: route.path, methods: [route.method], integration });
    if (props.graphWebhook) this.graphWebhookRoute = this.addGraphWebhook(props.graphWebhook);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    const stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.api.throttle.rateLimit, burstLimit: props.api.throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            principal: '$context.identity.userArn',
            jwtSub: '$context.authorizer.claims.sub',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            route: '$context.routeKey',
            status: '$context.status',
            length: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            error: '$context.error.message',
          }),
        ),
      },
    });
    if (this.graphWebhookRoute) {
      // The L2 stage has no route settings. API Gateway refuses settings for a route key it does
      // not know yet, hence the dependency.
      (stage.node.defaultChild as apigwv2.CfnStage).routeSettings = {
        [`POST ${GRAPH_WEBHOOK_PATH}`]: {
          ThrottlingRateLimit: Math.min(GRAPH_WEBHOOK_THROTTLE.rateLimit, props.api.throttle.rateLimit),
          ThrottlingBurstLimit: Math.min(GRAPH_WEBHOOK_THROTTLE.burstLimit, props.api.throttle.burstLimit),
        },
      };
      stage.node.addDependency(this.graphWebhookRoute);
    }
    new CfnOutput(stack, 'AdminApiUrl', { value: this.api.apiEndpoint, description: 'The admin API (SigV4 or JWT, see docs/openapi.json)' });
  }

  /**
   * Graph cannot sign in, so the route has no authorizer (overriding the API's default). What
   * protects it is the handler: it acts only on notifications carrying the `clientState` secret
   * of the channel's subscription, answers a wrong secret and an unknown channel with the same 202,
   * and the most a caller can cause is an earlier poll of a mailbox (one at a time per channel on
   * the FIFO queue).
   */
  private addGraphWebhook(handler: lambda.IFunction): apigwv2.HttpRoute {
    const [route] = this.api.addRoutes({
      path: GRAPH_WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      // Lambda's permission is scoped to this route: the mailbox function serves no other.
      integration: new HttpLambdaIntegration('GraphWebhook', handler, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 }),
      authorizer: new apigwv2.HttpNoneAuthorizer(),
    });
    if (!route) throw new Error('no route added for the Graph webhook');
    Validations.of(route).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG4',
      reason:
        "Microsoft Graph delivers change notifications without credentials; the handler acts only on those carrying the clientState secret of the channel's subscription, and at worst a caller makes a mailbox poll come sooner. Throttled on its own.",
    });
    return route;
  }

  private grant(props: AdminApiProps): void {
    const stack = Stack.of(this);
    const role = this.handler.role;
    const { table, storage, queues } = props;
    const statement = (actions: string[], resources: string[]) => role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    statement(
      [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ],
      [table.tableArn],
    );
    statement(['dynamodb:Query'], [`${table.tableArn}/index/gsi1`]);
    // Raw mail: bodies, attachments and replays read it; a poll through the API stores what it fetched.
    statement(['s3:GetObject', 's3:PutObject'], [storage.bucket.arnForObjects(`${RAW_MAIL_PREFIX}*`)]);
    // Import archives: the presigned POST of an upload is signed with the function's credentials
    // (S3 checks PutObject against them), and starting a job looks for the upload (HeadObject,
    // which s3:GetObject covers).
    statement(['s3:GetObject', 's3:PutObject'], [storage.bucket.arnForObjects(`${IMPORT_ARCHIVE_PREFIX}*`)]);
    statement(
      ['s3:GetObject', 's3:PutObject'],
      [storage.bucket.arnForObjects(`${INBOUND_ATTACHMENT_PREFIX}*`), storage.bucket.arnForObjects(`${OUTBOUND_ATTACHMENT_PREFIX}*`)],
    );
    // SSE-KMS of what it reads and writes in the bucket; the Encryption SDK (GenerateDataKey, Decrypt) for credentials.
    storage.allowKeyUse(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    allowCredentialUse(this.credentialKey, role);
    props.auditTable.allowWriter(role);
    const runtimeQueues = `arn:${stack.partition}:sqs:${stack.region}:${stack.account}:${props.runtimeQueuePrefix}*`;
    statement(
      ['sqs:CreateQueue', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue', 'sqs:TagQueue', 'sqs:SendMessage'],
      [runtimeQueues],
    );
    for (const { queue } of queues.skills.values()) queue.grantSendMessages(role);
    // The work routes: an agent's app takes one message at a time (receive, keep invisible, delete)
    // and counts what waits, on the skill queues: the stack's (not their dead-letter queues) and the
    // runtime ones under the prefix, which their dead-letter queues share.
    const skillQueueArns = [...queues.skills.values()].map(({ queue }) => queue.queueArn);
    statement(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], [runtimeQueues, ...skillQueueArns]);
    // The reply route: the planned mail under its prefix, the job on the outbound queue.
    statement(['s3:PutObject'], [storage.bucket.arnForObjects(`${OUTBOUND_PLAN_PREFIX}*`)]);
    props.outboundQueue.grantSendMessages(role);
    // Started import jobs go to the mailbox function's queue; nothing else is sent or read there.
    statement(['sqs:SendMessage'], [props.pollQueue.queueArn]);
    // Requested exports and erasures go to the privacy function's queue; a finished export is
    // downloaded through a link the function presigns (S3 checks GetObject against its role).
    statement(['sqs:SendMessage'], [props.privacyQueue.queueArn]);
    statement(['s3:GetObject'], [storage.bucket.arnForObjects(`${EXPORT_ARCHIVE_PREFIX}*`)]);
    const ruleSet = `arn:${stack.partition}:ses:${stack.region}:${stack.account}:receipt-rule-set/${props.ruleSet.receiptRuleSetName}`;
    statement(['ses:CreateReceiptRule', 'ses:UpdateReceiptRule', 'ses:DeleteReceiptRule'], [ruleSet, `${ruleSet}:receipt-rule/api-channel-*`]);

    const ack = (resource: string, reason: string) =>
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`, reason });
    const bucketArn = `<${stack.getLogicalId(storage.bucket.node.defaultChild as never)}.Arn>`;
    ack(
      `${bucketArn}/${RAW_MAIL_PREFIX}*`,
      'Raw mail objects are keyed by mail id under the receipt rule prefix; the admin function reads them for bodies, attachments and replays, and stores the mail a poll through the API fetches.',
    );
    ack(
      `${bucketArn}/${IMPORT_ARCHIVE_PREFIX}*`,
      'Import archives are keyed by channel and import id under this prefix only; the function signs their upload forms (exact key, capped size) and checks that an upload arrived.',
    );
    ack(`${bucketArn}/${INBOUND_ATTACHMENT_PREFIX}*`, 'Attachments extracted for download are keyed by message id and index under this prefix only.');
    ack(
      `${bucketArn}/${OUTBOUND_ATTACHMENT_PREFIX}*`,
      'Reply attachments are uploaded through presigned POSTs (exact size and type) under per-agent random keys below this prefix only.',
    );
    ack(
      `${bucketArn}/${EXPORT_ARCHIVE_PREFIX}*`,
      'Export archives are keyed by job id under this prefix only; the function presigns short-lived download links to them.',
    );
    ack(
      `${bucketArn}/${OUTBOUND_PLAN_PREFIX}*`,
      'Planned replies are written under this prefix only, keyed by channel and message id, for the outbound function to send.',
    );
    ack(
      nagArn(stack, 'sqs', `${props.runtimeQueuePrefix}*`),
      "Skills created through the API get their queues at runtime; the function manages only queues with the stack's skill prefix.",
    );
    ack(
      nagArn(stack, 'ses', `receipt-rule-set/<${stack.getLogicalId(props.ruleSet.node.defaultChild as never)}>:receipt-rule/api-channel-*`),
      "The function manages only the receipt rules of API channels (api-channel-<id>) in the stack's rule set.",
    );
  }
}
