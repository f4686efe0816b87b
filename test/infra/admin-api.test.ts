import type { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEED_CONDITION } from '../../functions/adapters/dynamo-config-seed.ts';
import { graphNotificationUrl } from '../../functions/runtime/graph-webhook.ts';
import { GRAPH_WEBHOOK_PATH, GRAPH_WEBHOOK_THROTTLE } from '../../lib/constructs/admin-api.ts';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Resources = Record<string, { Properties: Record<string, unknown> }>;
const doc = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
const documented = Object.entries(doc.paths)
  .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
  .sort();

let iam: Template;
let jwt: { template: Template; nag: NagReport };

beforeAll(() => {
  iam = synthPostroom(exampleConfig(), { bundle: false }).template;
  jwt = synthPostroom(
    exampleConfig({
      api: {
        auth: { jwt: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', audience: ['client-1'] } },
        cors: { allowOrigins: ['https://agents.example.com'] },
        throttle: { rateLimit: 20, burstLimit: 40 },
      },
    }),
    { bundle: false },
  );
});

const WEBHOOK = `POST ${GRAPH_WEBHOOK_PATH}`;
const routesOf = (t: Template) => Object.values(t.findResources('AWS::ApiGatewayV2::Route') as Resources);
/** The admin app's routes: all but Graph's webhook. */
const adminRoutesOf = (t: Template) => routesOf(t).filter((r) => r.Properties.RouteKey !== WEBHOOK);
const idOf = (t: Template, type: string, fragment: string): string => {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.includes(fragment));
  if (ids.length !== 1) throw new Error(`expected one ${type} with ${fragment}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const integrationOf = (t: Template, route: { Properties: Record<string, unknown> }) => {
  const ref = (route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1].Ref;
  return (t.findResources('AWS::ApiGatewayV2::Integration') as Resources)[ref]?.Properties;
};

describe('admin API', () => {
  it('has exactly one route per documented operation, each behind the IAM authorizer by default, and the Graph webhook', () => {
    // Arrange
    const routes = routesOf(iam);
    // Assert
    expect(routes.map((r) => String(r.Properties.RouteKey)).sort()).toEqual([...documented, WEBHOOK].sort());
    for (const r of adminRoutesOf(iam)) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('puts every route behind the JWT authorizer when the config names an issuer, and stays cdk-nag clean', () => {
    // Arrange
    const routes = adminRoutesOf(jwt.template);
    const authorizers = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Authorizer') as Resources);
    // Assert
    expect(routes).toHaveLength(documented.length);
    for (const r of routes) {
      expect(r.Properties.AuthorizationType).toBe('JWT');
      expect(r.Properties.AuthorizerId).toBeDefined();
    }
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', Audience: ['client-1'] },
    });
    expect(jwt.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('serves Graph’s change notifications without authorization, under IAM and JWT alike, on one route of the mailbox function', () => {
    for (const t of [iam, jwt.template]) {
      // Arrange
      const unauthorized = routesOf(t).filter((r) => r.Properties.AuthorizationType !== 'AWS_IAM' && r.Properties.AuthorizationType !== 'JWT');
      const sources = idOf(t, 'AWS::Lambda::Function', 'SourcesPoll');
      // Assert: the webhook is the one route without authorization
      expect(unauthorized.map((r) => r.Properties.RouteKey)).toEqual([WEBHOOK]);
      expect(unauthorized[0]?.Properties.AuthorizationType).toBe('NONE');
      expect(unauthorized[0]?.Properties.AuthorizerId).toBeUndefined();
      expect(integrationOf(t, unauthorized[0] as never)).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [sources, 'Arn'] },
      });
      // …and the mailbox function serves no other route
      const others = adminRoutesOf(t).map((r) => JSON.stringify(integrationOf(t, r)));
      expect(others.filter((i) => i.includes(sources))).toEqual([]);
    }
  });

  it('lets API Gateway invoke the mailbox function for the webhook route only', () => {
    // Arrange
    const sources = idOf(iam, 'AWS::Lambda::Function', 'SourcesPoll');
    const permissions = Object.values(iam.findResources('AWS::Lambda::Permission') as Resources).filter(
      (p) => p.Properties.Principal === 'apigateway.amazonaws.com' && JSON.stringify(p.Properties.FunctionName).includes(sources),
    );
    // Assert
    expect(permissions).toHaveLength(1);
    const arn = (permissions[0]?.Properties.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    expect(arn).toContainEqual({ Ref: idOf(iam, 'AWS::ApiGatewayV2::Api', 'AdminApi') });
    expect(arn.at(-1)).toBe(`/*/*${GRAPH_WEBHOOK_PATH}`);
  });

  it('gives the mailbox function the API endpoint, under which its notification URL reaches the webhook route', () => {
    // Arrange
    const fn = (iam.findResources('AWS::Lambda::Function') as Resources)[idOf(iam, 'AWS::Lambda::Function', 'SourcesPoll')];
    const stage = Object.values(iam.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    // Act
    const url = new URL(graphNotificationUrl('https://abc123.execute-api.eu-west-1.amazonaws.com', 'support'));
    // Assert: the endpoint itself (the `$default` stage serves routes at its root), so the URL's path is the route's
    expect((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NOTIFICATION_BASE_URL).toEqual({
      'Fn::GetAtt': [idOf(iam, 'AWS::ApiGatewayV2::Api', 'AdminApi'), 'ApiEndpoint'],
    });
    expect(stage.map((s) => s.Properties.StageName)).toEqual(['$default']);
    expect(url.pathname).toBe(GRAPH_WEBHOOK_PATH.replace('{channelId}', 'support'));
  });

  it('acknowledges the missing authorization (APIG4) on the webhook route only', () => {
    // Arrange
    const apig4 = jwt.nag.suppressedViolations.filter((v) => v.ruleName === 'AwsSolutions-APIG4');
    // Assert
    expect(apig4.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath))).toEqual([
      'Postroom/AdminApi/Api/POST--webhooks--graph--{channelId}/Resource',
    ]);
    expect(apig4[0]?.reason).toMatch(/clientState/);
  });

  it('throttles the webhook route on its own, never above the stage', () => {
    // Arrange
    const [stage] = Object.values(iam.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    const [jwtStage] = Object.values(jwt.template.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    const stageId = idOf(iam, 'AWS::ApiGatewayV2::Stage', 'AdminApiStage');
    const webhookId = Object.entries(iam.findResources('AWS::ApiGatewayV2::Route') as Resources).find(([, r]) => r.Properties.RouteKey === WEBHOOK)?.[0];
    // Assert
    expect(stage?.Properties.RouteSettings).toEqual({
      [WEBHOOK]: { ThrottlingRateLimit: GRAPH_WEBHOOK_THROTTLE.rateLimit, ThrottlingBurstLimit: GRAPH_WEBHOOK_THROTTLE.burstLimit },
    });
    // The JWT config's stage allows 20 requests a second, bursts of 40.
    expect(jwtStage?.Properties.RouteSettings).toEqual({ [WEBHOOK]: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
    // API Gateway refuses settings for a route it does not have yet.
    expect((iam.toJSON() as { Resources: Record<string, { DependsOn?: string[] }> }).Resources[stageId]?.DependsOn).toContain(webhookId);
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
    const [fn] = Object.values(
      iam.findResources('AWS::Lambda::Function', {
        Properties: { Description: 'Postroom inbound: SES receipt, raw mail, decision, conversation, skill queue' },
      }) as Resources,
    );
    const policies = JSON.stringify(iam.findResources('AWS::IAM::Policy'));
    // Assert
    expect((fn?.Properties.Environment as { Variables: Record<string, string> }).Variables.SKILL_QUEUE_PREFIX).toBe('postroom-skill-');
    expect(policies).toContain(':postroom-skill-*');
    expect(policies).toMatch(/"Action":\["sqs:SendMessage","sqs:GetQueueUrl"\]|"Action":\["sqs:GetQueueUrl","sqs:SendMessage"\]/);
  });
});
