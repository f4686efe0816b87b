import { type App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_API_PATH } from '../../console/build.ts';
import { AgentConsole } from '../../lib/constructs/console.ts';
import { exampleConfig, synthPostroom, synthWithNag, type NagReport } from './synth-postroom.ts';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

const JWT = { jwt: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audience: ['client-1'] } };
// CloudFront's managed policies, by their fixed ids.
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let iam: Template;
let jwt: { template: Template; nag: NagReport };

beforeAll(() => {
  iam = synthPostroom(exampleConfig(), { bundle: false }).template;
  jwt = synthPostroom(exampleConfig({ api: { auth: JWT } }), { bundle: false });
});

const only = (t: Template, type: string): Record<string, unknown> => {
  const found = Object.values(t.findResources(type) as Resources);
  expect(found, type).toHaveLength(1);
  return found[0]?.Properties ?? {};
};

describe('agent console', () => {
  it('is added only when the API takes JWTs: a browser cannot sign SigV4 requests', () => {
    // Assert
    expect(Object.keys(iam.findResources('AWS::CloudFront::Distribution'))).toEqual([]);
    expect(Object.keys(jwt.template.findResources('AWS::CloudFront::Distribution'))).toHaveLength(1);
    expect(jwt.template.findOutputs('ConsoleUrl')).toBeDefined();
  });

  it("serves the files from a private bucket through origin access control, under the console's CSP", () => {
    // Arrange
    const distribution = only(jwt.template, 'AWS::CloudFront::Distribution').DistributionConfig as Record<string, unknown>;
    const headers = only(jwt.template, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const policy = headers.SecurityHeadersConfig?.ContentSecurityPolicy?.ContentSecurityPolicy;
    const csp = JSON.stringify(policy);
    const oac = only(jwt.template, 'AWS::CloudFront::OriginAccessControl').OriginAccessControlConfig as Record<string, unknown>;
    const origins = distribution.Origins as { Id: string; S3OriginConfig?: unknown; OriginAccessControlId?: unknown; DomainName: unknown }[];
    const filesBucket = Object.entries(jwt.template.findResources('AWS::S3::Bucket') as Resources).find(([id]) => id.startsWith('ConsoleFiles'));
    // Assert
    expect(distribution).toMatchObject({ DefaultRootObject: 'index.html', Enabled: true });
    expect(distribution.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https' });
    expect(oac).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(origins.filter((o) => o.OriginAccessControlId !== undefined)).toHaveLength(1);
    expect(filesBucket?.[1].Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    // connect-src names the mail bucket, where attachments are uploaded, and nothing else besides the console's origin.
    expect(policy).toEqual({
      'Fn::Join': [
        '',
        [
          expect.stringMatching(/connect-src 'self' https:\/\/$/),
          { 'Fn::GetAtt': [expect.stringMatching(/^MailStorageBucket/), 'RegionalDomainName'] },
          expect.stringMatching(/^; frame-src 'none';/),
        ],
      ],
    });
    expect(headers.SecurityHeadersConfig?.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(headers.SecurityHeadersConfig?.ContentTypeOptions).toMatchObject({ Override: true });
  });

  it("passes /api/* to the API uncached, with the viewer's Authorization, the prefix stripped by a function that does just that", () => {
    // Arrange
    const distribution = only(jwt.template, 'AWS::CloudFront::Distribution').DistributionConfig as Record<string, unknown>;
    const [api] = distribution.CacheBehaviors as Record<string, unknown>[];
    const fn = only(jwt.template, 'AWS::CloudFront::Function');
    const handler = new Function(`${String(fn.FunctionCode)}; return handler;`)() as (event: { request: { uri: string } }) => { uri: string };
    // Act
    const rewritten = ['/api/me', '/api/conversations/c-1/reply', '/api/', '/api/work/queues'].map((uri) => handler({ request: { uri } }).uri);
    // Assert
    expect(api).toMatchObject({
      PathPattern: `${CONSOLE_API_PATH.slice(1)}/*`,
      ViewerProtocolPolicy: 'https-only',
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
    });
    expect((api?.FunctionAssociations as { EventType: string }[])[0]?.EventType).toBe('viewer-request');
    expect(rewritten).toEqual(['/me', '/conversations/c-1/reply', '/', '/work/queues']);
    expect(JSON.stringify(distribution.Origins)).toContain('"Fn::Split":["/",{"Fn::GetAtt":["AdminApi');
  });

  it('lets CloudFront origins POST to the mail bucket (the presigned upload form), nothing else', () => {
    // Arrange
    const mail = Object.entries(jwt.template.findResources('AWS::S3::Bucket') as Resources).find(([id]) => id.startsWith('MailStorageBucket'))?.[1];
    // Assert
    expect(mail?.Properties.CorsConfiguration).toEqual({
      CorsRules: [{ AllowedMethods: ['POST'], AllowedOrigins: ['https://*.cloudfront.net'], MaxAge: 3600 }],
    });
  });

  it('deploys the built files (revalidated, no invalidation needed) with a log group that expires, and stays cdk-nag clean with a reason for each acknowledgement', () => {
    // Arrange
    const deployment = only(jwt.template, 'Custom::CDKBucketDeployment');
    const fn = Object.entries(jwt.template.findResources('AWS::Lambda::Function') as Resources).find(([id]) => id.startsWith('CustomCDKBucketDeployment'))?.[1];
    const group = (fn?.Properties.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)?.LogGroup?.Ref ?? '';
    const acknowledged = jwt.nag.suppressedViolations.filter((v) => v.violatingConstructs.some((c) => /Console|CDKBucketDeployment/.test(c.constructPath)));
    // Assert
    expect(deployment).toMatchObject({ Prune: true, SystemMetadata: { 'cache-control': 'no-cache' } });
    expect(deployment.DistributionPaths).toBeUndefined();
    expect((jwt.template.findResources('AWS::Logs::LogGroup') as Resources)[group]?.Properties.RetentionInDays).toBeGreaterThan(0);
    expect(jwt.nag.violations.map((v) => v.ruleName)).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const v of acknowledged) expect(v.reason?.length ?? 0).toBeGreaterThan(40);
  });

  it("requires TLS 1.2 and names the company's domain in the upload CORS rule when given one", () => {
    // Act
    const { template, nag } = synthWithNag(
      (app: App) => {
        const stack = new Stack(app, 'ConsoleOnly', { env: { account: '123456789012', region: 'eu-west-1' } });
        const bucket = (id: string, logs?: s3.IBucket) =>
          new s3.Bucket(stack, id, {
            enforceSSL: true,
            blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
            ...(logs ? { serverAccessLogsBucket: logs } : {}),
          });
        const accessLogs = bucket('Logs');
        new AgentConsole(stack, 'Console', {
          api: new apigwv2.HttpApi(stack, 'Api', { createDefaultStage: false }),
          uploads: bucket('Mail', accessLogs),
          accessLogs,
          domain: {
            names: ['agents.example.com'],
            certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
          },
        });
        return stack;
      },
      { 'aws:cdk:bundling-stacks': [] },
    );
    const distribution = only(template, 'AWS::CloudFront::Distribution').DistributionConfig as Record<string, unknown>;
    const mail = Object.entries(template.findResources('AWS::S3::Bucket') as Resources).find(([id]) => id.startsWith('Mail'))?.[1];
    // Assert
    expect(distribution.Aliases).toEqual(['agents.example.com']);
    expect(distribution.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021' });
    expect(mail?.Properties.CorsConfiguration).toMatchObject({ CorsRules: [{ AllowedOrigins: ['https://agents.example.com'] }] });
    expect(nag.violations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Console/'))).map((v) => v.ruleName)).toEqual([]);
    expect(nag.suppressedViolations.map((v) => v.ruleName)).not.toContain('AwsSolutions-CFR4');
  });
});
