import { describe, expect, it } from 'vitest';
import { functionEnv, importClosure, resolveTemplateValue } from '../../../bench/cold-start.ts';
import { InboundEnvSchema, readEnv } from '../../../functions/runtime/env.ts';
import { OutboundEnvSchema } from '../../../functions/runtime/outbound-env.ts';

const resources = {
  Table: { Type: 'AWS::DynamoDB::Table' },
  Bucket: { Type: 'AWS::S3::Bucket' },
  SupportQueue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
  Key: { Type: 'AWS::KMS::Key' },
  ConfigSet: { Type: 'AWS::SES::ConfigurationSet' },
};

describe('function environment from the template', () => {
  it('replaces Ref, GetAtt, Join, Sub and pseudo parameters with plausible values', () => {
    expect(resolveTemplateValue({ Ref: 'SupportQueue' }, resources)).toBe('https://sqs.us-east-1.amazonaws.com/000000000000/supportqueue.fifo');
    expect(resolveTemplateValue({ 'Fn::GetAtt': ['Key', 'Arn'] }, resources)).toBe(
      'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000',
    );
    expect(resolveTemplateValue({ 'Fn::GetAtt': ['SupportQueue', 'Arn'] }, resources)).toBe('arn:aws:sqs:us-east-1:000000000000:supportqueue.fifo');
    expect(resolveTemplateValue({ 'Fn::Join': ['', ['{"support":"', { Ref: 'SupportQueue' }, '"}']] }, resources)).toBe(
      '{"support":"https://sqs.us-east-1.amazonaws.com/000000000000/supportqueue.fifo"}',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a template literal
    expect(resolveTemplateValue({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }, resources)).toBe('arn:aws:s3:::bucket/*');
    expect(resolveTemplateValue('60', resources)).toBe('60');
    expect(() => resolveTemplateValue({ 'Fn::ImportValue': 'x' }, resources)).toThrow(/cannot resolve/);
  });

  it('gives values each function’s environment schema accepts, without NODE_OPTIONS', () => {
    // Arrange: the variables as the constructs set them
    const inbound = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            TABLE_NAME: { Ref: 'Table' },
            MAIL_BUCKET: { Ref: 'Bucket' },
            SKILL_QUEUE_URLS: { 'Fn::Join': ['', ['{"support":"', { Ref: 'SupportQueue' }, '"}']] },
            CHANNEL_CACHE_SECONDS: '60',
            LEASE_SECONDS: '70',
            OUTBOUND_QUEUE_URL: { Ref: 'SupportQueue' },
          },
        },
      },
    };
    const outbound = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Environment: {
          Variables: {
            TABLE_NAME: { Ref: 'Table' },
            MAIL_BUCKET: { Ref: 'Bucket' },
            OUTBOUND_QUEUE_URL: { Ref: 'SupportQueue' },
            CREDENTIALS_KEY_ARN: { 'Fn::GetAtt': ['Key', 'Arn'] },
            SES_CONFIGURATION_SET: { Ref: 'ConfigSet' },
            ALLOWED_PRIVATE_CIDRS: '',
          },
        },
      },
    };

    // Act
    const inboundEnv = functionEnv(inbound, resources);
    const outboundEnv = functionEnv(outbound, resources);

    // Assert
    expect(inboundEnv).not.toHaveProperty('NODE_OPTIONS');
    expect(readEnv(InboundEnvSchema, inboundEnv).SKILL_QUEUE_URLS).toEqual({ support: 'https://sqs.us-east-1.amazonaws.com/000000000000/supportqueue.fifo' });
    expect(readEnv(OutboundEnvSchema, outboundEnv).CREDENTIALS_KEY_ARN).toMatch(/^arn:aws:kms:/);
  });
});

describe('importClosure', () => {
  it('follows static imports of chunks, transitively and once each, and not dynamic import()', () => {
    // Arrange: minified ESM as esbuild writes it with code splitting
    const files: Record<string, string> = {
      '/a/index.mjs': `import { createRequire as r } from 'node:module'; const require = r(import.meta.url);import{a as b}from"./chunks/chunk-A.mjs";import"./chunks/chunk-B.mjs";var l=()=>import("./chunks/eld-C.mjs");`,
      '/a/chunks/chunk-A.mjs': 'import{c}from"./chunk-B.mjs";export{c as a};',
      '/a/chunks/chunk-B.mjs': 'var c=1;export{c};',
    };
    // Act
    const loaded = importClosure('/a/index.mjs', (path) => files[path] ?? '');
    // Assert
    expect(loaded).toEqual(['/a/index.mjs', '/a/chunks/chunk-A.mjs', '/a/chunks/chunk-B.mjs']);
  });
});
