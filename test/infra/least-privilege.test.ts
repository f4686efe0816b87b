import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_CHANNEL, CONTEXT_ENDPOINT, CONTEXT_PURPOSE } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { AdminEnvSchema } from '../../functions/runtime/admin-env.ts';
import { AuditTable } from '../../lib/constructs/audit-table.ts';
import { SECRET_PURPOSES } from '../../lib/constructs/key-policy.ts';
import { PostroomFunction } from '../../lib/constructs/postroom-function.ts';
import { exampleConfig, synthPostroom, synthWithNag, type NagReport } from './synth-postroom.ts';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const NO_BUNDLE = { 'aws:cdk:bundling-stacks': [] };
const config = exampleConfig({
  outbound: { allowedPrivateCidrs: ['10.20.0.0/16'] },
  api: { auth: { jwt: { issuer: 'https://issuer.example.com', audience: ['client-1'] } }, roleClaim: 'cognito:groups' },
  users: [{ id: 'first-admin', role: 'admin', identities: ['jwt:0123-4567'] }],
} as never);
let template: Template;
let nag: NagReport;

beforeAll(() => {
  ({ template, nag } = synthPostroom(config, { bundle: false }));
});

const resources = (type: string): Resources => template.findResources(type) as Resources;
const functionsWith = (variable: string) =>
  Object.values(resources('AWS::Lambda::Function')).filter((f) => JSON.stringify(f.Properties.Environment ?? {}).includes(variable));
const idOf = (type: string, fragment: string): string => {
  const ids = Object.keys(resources(type)).filter((id) => id.includes(fragment));
  if (ids.length !== 1) throw new Error(`expected one ${type} with ${fragment}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const roleArn = (fragment: string) => ({ 'Fn::GetAtt': [idOf('AWS::IAM::Role', fragment), 'Arn'] });
const actionsOf = (s: Statement): string[] => [s.Action].flat();
const keyStatements = (fragment: string): Statement[] =>
  (resources('AWS::KMS::Key')[idOf('AWS::KMS::Key', fragment)]?.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
const identityStatements = (): (Statement & { policy: string })[] =>
  Object.entries(resources('AWS::IAM::Policy')).flatMap(([policy, p]) =>
    (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => ({ ...s, policy })),
  );
const awsPrincipals = (s: Statement): unknown[] => [(s.Principal as { AWS?: unknown } | undefined)?.AWS ?? []].flat();
const USE_ACTIONS = /^kms:(\*|Decrypt|Encrypt|GenerateDataKey.*|ReEncrypt.*|CreateGrant)$/;

describe('KMS key policies name their users', () => {
  it('lets the account administer every key but use none, so no IAM policy alone can grant use', () => {
    // Arrange
    const keys = Object.keys(resources('AWS::KMS::Key'));
    // Assert
    // Mail, credentials, delivery events' topic, alarms' topic, SLA events' topic.
    expect(keys).toHaveLength(5);
    for (const id of keys) {
      const rootStatements = keyStatements(id).filter((s) => JSON.stringify(s.Principal).includes(':root'));
      expect(rootStatements).toHaveLength(1);
      expect(actionsOf(rootStatements[0] as Statement).filter((a) => USE_ACTIONS.test(a))).toEqual([]);
    }
  });

  it('names the admin, outbound and mailbox roles, and no one else, as users of the credentials key', () => {
    // Arrange
    const use = keyStatements('CredentialsKey').filter((s) => actionsOf(s).some((a) => USE_ACTIONS.test(a)));
    // Assert
    expect(use.flatMap(awsPrincipals)).toEqual(
      expect.arrayContaining([roleArn('AdminApiHandlerRole'), roleArn('OutboundSendRole'), roleArn('SourcesPollRole')]),
    );
    expect(use.flatMap(awsPrincipals)).toHaveLength(3);
    expect(use.every((s) => s.Principal && !JSON.stringify(s.Principal).includes('Service'))).toBe(true);
  });

  it('names the functions that read or write mail, through S3 only, and SES, as users of the mail key', () => {
    // Arrange
    const use = keyStatements('MailStorageKey').filter((s) => actionsOf(s).some((a) => USE_ACTIONS.test(a)));
    const roles = use.filter((s) => awsPrincipals(s).length > 0);
    // Assert
    const users = [
      roleArn('AdminApiHandlerRole'),
      roleArn('InboundProcessRole'),
      roleArn('OutboundSendRole'),
      roleArn('SourcesPollRole'),
      roleArn('ReconciliationRunRole'),
      roleArn('PrivacyJobRole'),
    ];
    expect(roles.flatMap(awsPrincipals)).toEqual(expect.arrayContaining(users));
    expect(roles.flatMap(awsPrincipals)).toHaveLength(6);
    for (const s of roles) expect(JSON.stringify(s.Condition?.StringEquals?.['kms:ViaService'])).toContain('"s3."');
    const outbound = roles.find((s) => JSON.stringify(awsPrincipals(s)).includes('OutboundSendRole'));
    expect(actionsOf(outbound as Statement)).toEqual(['kms:Decrypt']);
  });

  it('has no KMS grant left in any IAM policy: the key policies are the only place', () => {
    expect(identityStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))).toEqual([]);
  });
});

describe('credentials key', () => {
  it('binds Decrypt and GenerateDataKey to the full encryption context: channel, purpose, endpoint, and nothing else', () => {
    // Arrange
    const [use] = keyStatements('CredentialsKey').filter((s) => s.Effect === 'Allow' && awsPrincipals(s).length === 3);
    // Assert
    expect(actionsOf(use as Statement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(use?.Condition).toEqual({
      StringLike: { [`kms:EncryptionContext:${CONTEXT_CHANNEL}`]: '?*', [`kms:EncryptionContext:${CONTEXT_ENDPOINT}`]: '?*' },
      StringEquals: { [`kms:EncryptionContext:${CONTEXT_PURPOSE}`]: SECRET_PURPOSES },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [CONTEXT_CHANNEL, CONTEXT_PURPOSE, CONTEXT_ENDPOINT, 'aws-crypto-public-key'] },
    });
  });

  it('grants kms:Encrypt nowhere (the Encryption SDK generates data keys instead)', () => {
    const everything = [...Object.keys(resources('AWS::KMS::Key')).flatMap(keyStatements), ...identityStatements()];
    expect(everything.flatMap(actionsOf).filter((a) => a === 'kms:Encrypt' || a === 'kms:*')).toEqual([]);
  });
});

describe('SES may use a resource only for this account and its own rules or configuration set', () => {
  const ruleSetId = () => idOf('AWS::SES::ReceiptRuleSet', 'RuleSet');
  const sesStatements = (): Statement[] =>
    [
      ...Object.keys(resources('AWS::KMS::Key')).flatMap(keyStatements),
      ...['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy'].flatMap((type) =>
        Object.values(resources(type)).flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement),
      ),
    ].filter((s) => JSON.stringify(s.Principal ?? '').includes('ses.amazonaws.com'));

  it('conditions every SES statement of key, bucket and topic policies on aws:SourceAccount and aws:SourceArn', () => {
    // Arrange
    const statements = sesStatements();
    // Assert: mail key, bucket policy, topic key, topic policy
    expect(statements).toHaveLength(4);
    for (const s of statements) {
      const conditions = JSON.stringify(s.Condition).toLowerCase();
      expect(conditions).toContain('"aws:sourceaccount":{"ref":"aws::accountid"}');
      expect(conditions).toContain('"aws:sourcearn"');
    }
  });

  it('lets SES use the mail key only for the receipt rules of the stack rule set', () => {
    const [mailKey] = keyStatements('MailStorageKey').filter((s) => JSON.stringify(s.Principal).includes('ses.amazonaws.com'));
    const rules = { 'Fn::Join': ['', expect.arrayContaining([':receipt-rule-set/', { Ref: ruleSetId() }, ':receipt-rule/*'])] };
    expect(mailKey?.Condition?.ArnLike?.['aws:SourceArn']).toEqual(rules);
  });

  it('lets SES use the topic key only for the configuration set it publishes events of', () => {
    const [topicKey] = keyStatements('FeedbackTopicKey').filter((s) => JSON.stringify(s.Principal).includes('ses.amazonaws.com'));
    expect(topicKey?.Condition?.StringEquals?.['aws:SourceArn']).toEqual({
      'Fn::Join': ['', expect.arrayContaining([':configuration-set/', { Ref: idOf('AWS::SES::ConfigurationSet', 'Outbound') }])],
    });
  });

  it('lets SES invoke the inbound function only for the rules of the stack rule set, API channels’ rules included', () => {
    // Arrange
    const permissions = Object.values(resources('AWS::Lambda::Permission')).filter((p) => p.Properties.Principal === 'ses.amazonaws.com');
    // Assert
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::Join': ['', expect.arrayContaining([':receipt-rule-set/', { Ref: ruleSetId() }, ':receipt-rule/*'])] },
    });
  });
});

describe('wildcard resources', () => {
  it('appear only in the X-Ray statement, alone in each function’s tracing policy', () => {
    // Arrange
    const wildcards = identityStatements().filter((s) => [s.Resource].flat().includes('*'));
    // Assert
    expect(wildcards.length).toBeGreaterThan(0);
    for (const s of wildcards) {
      expect(s.policy).toMatch(/Tracing/);
      expect(actionsOf(s).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
    for (const s of identityStatements().filter((x) => /Tracing/.test(x.policy))) expect([s.Resource].flat()).toEqual(['*']);
  });

  it('acknowledges Resource::* on the tracing policies only, each function still traced', () => {
    // Arrange
    const acknowledged = nag.suppressedViolations.filter((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    const functions = functionsWith('POWERTOOLS_SERVICE_NAME');
    // Assert
    expect(acknowledged.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath))).not.toHaveLength(0);
    for (const v of acknowledged) for (const c of v.violatingConstructs) expect(c.constructPath).toMatch(/\/Tracing\/Resource$/);
    // Inbound, outbound, feedback, sources, admin, reconciliation, retention's expiry, privacy, SLA check.
    expect(functions).toHaveLength(9);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('fails cdk-nag when a grant with Resource * lands in a function role’s default policy', () => {
    // Act
    const { nag: bad } = synthWithNag((app) => {
      const stack = new Stack(app, 'Wild');
      const entry = fileURLToPath(new URL('../../functions/admin-api.ts', import.meta.url));
      const fn = new PostroomFunction(stack, 'Fn', { entry, description: 'probe', environment: {} });
      fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));
      return stack;
    }, NO_BUNDLE);
    // Assert
    const findings = bad.violations.filter((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    expect(findings.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath))).toEqual(['Wild/Fn/Role/DefaultPolicy/Resource']);
  });
});

describe('admin function', () => {
  const adminEnv = (): Record<string, string> => {
    // The admin function's own variable: the privacy function names the audit table too.
    const [fn] = functionsWith('RECEIPT_RULE_SET');
    return (fn?.Properties.Environment as { Variables: Record<string, string> }).Variables;
  };

  it('applies the private-CIDR allow-list of the outbound function, and reads roles from the configured claim', () => {
    // Arrange
    const allowLists = functionsWith('CREDENTIALS_KEY_ARN').map(
      (f) => (f.Properties.Environment as { Variables: Record<string, string> }).Variables.ALLOWED_PRIVATE_CIDRS,
    );
    // Assert: the outbound, admin and mailbox functions, one list
    expect(allowLists).toEqual(['10.20.0.0/16', '10.20.0.0/16', '10.20.0.0/16']);
    expect(adminEnv().ALLOWED_PRIVATE_CIDRS).toBe('10.20.0.0/16');
    expect(adminEnv().API_ROLE_CLAIM).toBe('cognito:groups');
    expect(
      Object.keys(adminEnv())
        .filter((k) => k !== 'NODE_OPTIONS')
        .sort(),
    ).toEqual(Object.keys(AdminEnvSchema.shape).sort());
    expect(adminEnv().AUDIT_TABLE_NAME).toEqual({ Ref: idOf('AWS::DynamoDB::Table', 'Audit') });
    expect(adminEnv().POLL_QUEUE_URL).toEqual({ Ref: idOf('AWS::SQS::Queue', 'SourcesPollQueue') });
  });

  const adminStatements = () => identityStatements().filter((s) => s.policy.includes('AdminApiHandlerRole'));
  const prefixOf = (resource: unknown): string => String(((resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1] ?? []).at(-1));

  it('sends to the poll queue (started imports) with SendMessage alone, and never receives from it', () => {
    // Arrange
    const onPollQueue = adminStatements().filter((s) => JSON.stringify(s.Resource).includes(idOf('AWS::SQS::Queue', 'SourcesPollQueue')));
    // Assert
    expect(onPollQueue).toHaveLength(1);
    expect(actionsOf(onPollQueue[0] as Statement)).toEqual(['sqs:SendMessage']);
    // One statement with the privacy queue's SendMessage (requested exports and erasures): CDK merges the two.
    const queues = [onPollQueue[0]?.Resource].flat();
    expect(queues).toHaveLength(2);
    expect(queues).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'SourcesPollQueue'), 'Arn'] },
        { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'PrivacyQueue'), 'Arn'] },
      ]),
    );
    expect(JSON.stringify(adminStatements())).not.toContain('SourcesPollDeadLetterQueue');
  });

  it('reads and writes S3 objects only under its prefixes: raw mail (polls), attachments, uploads, import archives; plans write-only; export archives read-only; no delete', () => {
    // Arrange
    const s3 = adminStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const withActions = (actions: string[]) =>
      s3
        .filter((s) => JSON.stringify(actionsOf(s).sort()) === JSON.stringify(actions))
        .flatMap((s) => [s.Resource].flat())
        .map(prefixOf)
        .sort();
    // Assert
    expect(s3.flatMap(actionsOf).filter((a) => a !== 's3:GetObject' && a !== 's3:PutObject')).toEqual([]);
    expect(withActions(['s3:GetObject', 's3:PutObject'])).toEqual(['/attachments/*', '/imports/*', '/inbound/raw/*', '/outbound/uploads/*']);
    expect(withActions(['s3:PutObject'])).toEqual(['/outbound/plans/*']);
    // Export archives: the function presigns their download links (S3 checks GetObject against its role).
    expect(withActions(['s3:GetObject'])).toEqual(['/privacy/exports/*']);
  });

  it('may write AGENT items as it does CHANNEL and SKILL items (and source, import and inbound ones): the main table with no partition condition', () => {
    // Arrange
    const writes = identityStatements().filter((s) => s.policy.includes('AdminApiHandlerRole') && actionsOf(s).includes('dynamodb:PutItem'));
    const main = writes.filter((s) => JSON.stringify(s.Resource).includes(idOf('AWS::DynamoDB::Table', 'TablesTable')));
    // Assert
    expect(main).toHaveLength(1);
    const crud = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'];
    expect(actionsOf(main[0] as Statement)).toEqual(expect.arrayContaining(crud));
    expect(main[0]?.Condition).toBeUndefined();
  });

  it('seeds the configured agents like channels, with the condition that leaves API-owned items alone', () => {
    // Arrange
    const seeds = Object.entries(resources('Custom::AWS')).filter(([id]) => id.includes('Agentfirstadmin'));
    const create = JSON.stringify(seeds[0]?.[1].Properties.Create);
    // Assert
    expect(seeds).toHaveLength(1);
    expect(create).toContain('\\"pk\\":{\\"S\\":\\"AGENT\\"}');
    expect(create).toContain('\\"#value\\":\\"agent\\"');
    expect(create).toContain('jwt:0123-4567');
  });

  it('lets the seed write only the partitions it seeds', () => {
    // Arrange
    const seedWrites = identityStatements().filter((s) => s.policy.includes('ChannelSeedRole') && actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    // Assert
    expect(seedWrites).toHaveLength(1);
    expect(seedWrites[0]?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CHANNEL', 'SKILL', 'AGENT'] } });
  });
});

describe('audit log', () => {
  const auditId = () => idOf('AWS::DynamoDB::Table', 'Audit');
  const onAudit = (s: Statement): boolean => JSON.stringify(s.Resource).includes(auditId());

  it('is a table of its own with point-in-time recovery and deletion protection, retained', () => {
    const table = (template.toJSON() as { Resources: Record<string, { DeletionPolicy?: string; Properties: Record<string, unknown> }> }).Resources[auditId()];
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true });
  });

  it('lets the admin role put and query entries, the privacy role also update them (redacting an erased address), and no role delete or batch-write them', () => {
    // Arrange
    const statements = identityStatements().filter(onAudit);
    const admin = statements.filter((s) => /AdminApiHandlerRole/.test(s.policy));
    const privacy = statements.filter((s) => /PrivacyJobRole/.test(s.policy));
    // Assert
    expect(statements).toHaveLength(2);
    expect(admin.flatMap(actionsOf).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    expect(privacy.flatMap(actionsOf).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    const anyRole = identityStatements().filter((s) => [s.Resource].flat().includes('*') || onAudit(s));
    expect(anyRole.flatMap(actionsOf).filter((a) => /^dynamodb:(DeleteItem|BatchWriteItem|PartiQL)/.test(a))).toEqual([]);
    expect(anyRole.filter((s) => actionsOf(s).includes('dynamodb:UpdateItem')).map((s) => s.policy)).toEqual([expect.stringMatching(/PrivacyJobRole/)]);
  });

  it('denies every principal changing entries, and everyone but the admin role adding them, in the table policy', () => {
    // Arrange
    const policy = (resources('AWS::DynamoDB::Table')[auditId()]?.Properties.ResourcePolicy as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument;
    const never = policy.Statement.find((s) => s.Sid === 'EntriesAreNeverChanged');
    const onlyRedactor = policy.Statement.find((s) => s.Sid === 'OnlyTheRedactorChanges');
    const onlyWriter = policy.Statement.find((s) => s.Sid === 'OnlyTheWriterAppends');
    // Assert
    expect(policy.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
    expect(never).toMatchObject({ Principal: { AWS: '*' } });
    expect(never?.Condition).toBeUndefined();
    expect(actionsOf(never as Statement)).toEqual(expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']));
    // Changing an entry in place: the privacy function's redaction of an erased address, nobody else's.
    expect(onlyRedactor).toMatchObject({
      Principal: { AWS: '*' },
      Action: 'dynamodb:UpdateItem',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn('PrivacyJobRole') } },
    });
    expect(onlyWriter).toMatchObject({
      Principal: { AWS: '*' },
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [roleArn('AdminApiHandlerRole'), roleArn('PrivacyJobRole')] } },
    });
    expect(actionsOf(onlyWriter as Statement)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:PartiQLInsert']));
  });

  it('has one writer: a second one is refused at synthesis', () => {
    // Arrange
    const stack = new Stack();
    const audit = new AuditTable(stack, 'Audit');
    const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    audit.allowWriter(role('First'));
    // Act + Assert
    expect(() => audit.allowWriter(role('Second'))).toThrow('the audit table has a writer already');
  });
});
