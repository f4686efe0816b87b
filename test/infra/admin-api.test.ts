import type { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_CONDITION } from '../../functions/adapters/dynamo-config-seed.ts';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Resources = Record<string, { Properties: Record<string, unknown> }>;
const doc = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();

let iam: Template;
let jwt: { template: Template; nag: NagReport };

beforeAll(() => {
  iam = synthPostroom(exampleConfig(), { bundle: false }).template;
  jwt = synthPostroom(exampleConfig({
    api: { auth: { jwt: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audience: ['client-1'] } }, cors: { allowOrigins: ['https://agents.example.com'] }, throttle: { rateLimit: 20, burstLimit: 40 } },
  }), { bundle: false });
});

const routesOf = (t: Template) => Object.values(t.findResources('AWS::ApiGatewayV2::Route') as Resources);

describe('admin API', () => {
  it('has exactly one route per documented operation, each behind the IAM authorizer by default', () => {
    // Arrange
    const routes = routesOf(iam);
    // Assert
    expect(routes.map((r) => String(r.Properties.RouteKey)).sort()).toEqual(documented);
    for (const r of routes) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('puts every route behind the JWT authorizer when the config names an issuer, and stays cdk-nag clean', () => {
    // Arrange
    const routes = routesOf(jwt.template);
    const authorizers = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Authorizer') as Resources);
    // Assert
    expect(routes).toHaveLength(documented.length);
    for (const r of routes) {
      expect(r.Properties.AuthorizationType).toBe('JWT');
      expect(r.Properties.AuthorizerId).toBeDefined();
    }
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.Properties).toMatchObject({ AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', Audience: ['client-1'] } });
    expect(jwt.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('throttles the stage and writes JSON access logs to a log group with retention', () => {
    // Arrange
    const [stage] = Object.values(iam.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    const [jwtStage] = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    // Assert
    expect(stage?.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(jwtStage?.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    const logs = stage?.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string] }; Format: string };
    expect(JSON.parse(logs.Format)).toMatchObject({ requestId: '$context.requestId', principal: '$context.identity.userArn', status: '$context.status' });
    const groups = iam.findResources('AWS::Logs::LogGroup') as Resources;
    expect(groups[logs.DestinationArn['Fn::GetAtt'][0]]?.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('has CORS off unless configured', () => {
    // Arrange
    const [plain] = Object.values(iam.findResources('AWS::ApiGatewayV2::Api') as Resources);
    const [withCors] = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Api') as Resources);
    // Assert
    expect(plain?.Properties.CorsConfiguration).toBeUndefined();
    expect(withCors?.Properties.CorsConfiguration).toMatchObject({ AllowOrigins: ['https://agents.example.com'] });
  });

  it('seeds channels, skills and users with a condition that leaves API-owned items alone', () => {
    // Arrange
    const seeds = Object.values(iam.findResources('Custom::AWS') as Resources).map((r) => JSON.stringify(r.Properties.Create));
    // Assert: two channels, three skills and one user of the example config
    expect(seeds).toHaveLength(6);
    for (const create of seeds) {
      expect(create).toContain('UpdateItem');
      expect(create).toContain(SEED_CONDITION);
      expect(create).toContain('ConditionalCheckFailedException');
    }
  });

  it('lets the inbound function find and send to runtime skill queues under the stack prefix only', () => {
    // Arrange
    const [fn] = Object.values(iam.findResources('AWS::Lambda::Function', { Properties: { Description: 'Postroom inbound: SES receipt, raw mail, decision, conversation, skill queue' } }) as Resources);
    const policies = JSON.stringify(iam.findResources('AWS::IAM::Policy'));
    // Assert
    expect((fn?.Properties.Environment as { Variables: Record<string, string> }).Variables.SKILL_QUEUE_PREFIX).toBe('postroom-skill-');
    expect(policies).toContain(':postroom-skill-*');
    expect(policies).toMatch(/"Action":\["sqs:SendMessage","sqs:GetQueueUrl"\]|"Action":\["sqs:GetQueueUrl","sqs:SendMessage"\]/);
  });
});
