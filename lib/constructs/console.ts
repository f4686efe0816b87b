import { CfnOutput, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_API_PATH, consolePolicy, writeConsole } from '../../console/build.ts';

export interface AgentConsoleProps {
  /** The admin and agent API (behind its JWT authorizer): served on the console's origin under `/api/`. */
  readonly api: apigwv2.IHttpApi;
  /** The mail bucket: reply attachments are uploaded there with presigned forms, so it lets the console's origin POST. */
  readonly uploads: s3.Bucket;
  /** Where the console bucket's server access logs go (the stack's access-log bucket). */
  readonly accessLogs: s3.IBucket;
  /**
   * A domain of the company's for the console (and its certificate in us-east-1); then viewers
   * need TLS 1.2 or later.
   * @default the distribution's `*.cloudfront.net` name
   */
  readonly domain?: { readonly names: readonly string[]; readonly certificate: acm.ICertificate };
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * CloudFront strips the `/api` prefix before the API sees the request: the API's routes are at
 * its root (`$default` stage). The behaviour's pattern (`/api/*`) guarantees the prefix.
 */
const STRIP_API_PREFIX = `function handler(event) {
  var request = event.request;
  request.uri = request.uri.substring(${CONSOLE_API_PATH.length}) || '/';
  return request;
}`;

/**
 * The agent console (`console/`) in AWS: its files in a private bucket behind CloudFront (origin
 * access control), under the console's Content-Security-Policy and security headers, and the API
 * on the same origin under `/api/*` (no caching; the agent's `Authorization` header passed on to
 * API Gateway, whose JWT authorizer checks it as for any client). Same origin, so the API needs
 * no CORS for the console; the mail bucket answers the console's origin for attachment uploads.
 *
 * A browser can present a JWT but not sign requests with SigV4, so the stack adds the console
 * when the API's authorization is a JWT issuer (`api.auth.jwt`).
 */
export class AgentConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<domain>/` where agents open the console. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: AgentConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Built files only, rebuilt on every deploy: nothing here to keep when the stack goes.
    this.bucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-files/',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const uploadOrigin = `https://${props.uploads.bucketRegionalDomainName}`;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Postroom console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consolePolicy([uploadOrigin]), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()', override: true },
        ],
      },
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Postroom agent console',
      defaultRootObject: 'index.html',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      ...(props.domain
        ? {
            domainNames: [...props.domain.names],
            certificate: props.domain.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: {
        [`${CONSOLE_API_PATH.slice(1)}/*`]: {
          origin: new origins.HttpOrigin(apiDomain, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // Never cached: every answer is per agent. With caching off, the viewer's Authorization
          // header may be passed on by the origin request policy (CloudFront refuses it otherwise).
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
          functionAssociations: [
            {
              eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
              function: new cloudfront.Function(this, 'StripApiPrefix', {
                code: cloudfront.FunctionCode.fromInline(STRIP_API_PREFIX),
                runtime: cloudfront.FunctionRuntime.JS_2_0,
                comment: 'Postroom console: /api/<route> to the API as /<route>',
              }),
            },
          ],
        },
      },
    });
    const domains = props.domain ? [...props.domain.names] : [this.distribution.distributionDomainName];
    this.url = `https://${domains[0]}/`;

    // The attachment upload: a presigned POST form, straight from the browser to S3. What guards
    // it is the form's signed policy (key, type, size; any page could submit a form); CORS only
    // lets the console read S3's answer. Without a domain of the company's the rule names
    // CloudFront's domain by wildcard: the distribution's own name would make the bucket depend on
    // the distribution, whose headers (the CSP naming the bucket) depend on the bucket.
    const corsOrigins = props.domain ? props.domain.names.map((d) => `https://${d}`) : ['https://*.cloudfront.net'];
    props.uploads.addCorsRule({ allowedMethods: [s3.HttpMethods.POST], allowedOrigins: corsOrigins, maxAge: 3600 });

    const dir = mkdtempSync(join(tmpdir(), 'postroom-console-'));
    writeConsole(dir, CONSOLE_API_PATH);
    new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [s3deploy.Source.asset(dir)],
      destinationBucket: this.bucket,
      // `no-cache`: CloudFront keeps a file for its minimum TTL (a second) and then asks S3 whether
      // it changed, so a deploy shows at once without an invalidation (whose permission names no
      // resource). The files are a few kilobytes.
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: true,
      // The files go with the stack (the deployment deletes them), so the bucket can go too.
      retainOnDelete: false,
      memoryLimit: 256,
      logGroup: new logs.LogGroup(this, 'DeployLogs', {
        retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    this.acknowledge(stack, props.domain !== undefined);
    new CfnOutput(stack, 'ConsoleUrl', { value: this.url, description: "The agent console (sign in with a JWT of the API's issuer)" });
  }

  private acknowledge(stack: Stack, ownDomain: boolean): void {
    const shown = (value: string, pseudo: string): string => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const assetBucket = `arn:${shown(stack.partition, 'Partition')}:s3:::cdk-${qualifier}-assets-${shown(stack.account, 'AccountId')}-${shown(stack.region, 'Region')}`;
    const distribution = Validations.of(this.distribution);
    distribution.acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR1',
      reason:
        'Agents of a contact center work from wherever they are; who may use the console is decided by the JWT issuer and the API authorizer, not by country.',
    });
    distribution.acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR2',
      reason:
        'The console is static files plus the API, whose stage is throttled and whose every route needs a JWT; a WAF web ACL is an account-level choice (and cost) an operator can attach to the distribution.',
    });
    distribution.acknowledge({
      id: 'AwsSolutions::AwsSolutions-CFR3',
      reason:
        "What matters is logged where it happens: every API call in API Gateway's access logs (with the JWT subject), the files' bucket in S3 server access logs; CloudFront standard logs would need a bucket with ACLs enabled.",
    });
    if (!ownDomain) {
      distribution.acknowledge({
        id: 'AwsSolutions::AwsSolutions-CFR4',
        reason:
          "The default *.cloudfront.net certificate allows no minimum protocol version; with a domain of the company's (props.domain) the distribution requires TLS 1.2 (TLSv1.2_2021).",
      });
    }
    // The deployment's provider function is CDK's own singleton, a child of the stack (its id ends
    // in a hash of the deployment's settings), not of this construct.
    for (const provider of stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))) {
      const v = Validations.of(provider);
      v.acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's BucketDeployment provider writes its logs with the basic execution role; it runs only during deploys.",
      });
      const copies = "CDK's BucketDeployment provider copies the console's build from the CDK asset bucket into the console bucket during deploys";
      for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
        v.acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
          reason: `${copies}; CDK grants its S3 actions as wildcards (${action}), on those two buckets only.`,
        });
      }
      v.acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${assetBucket}/*]`,
        reason: `${copies}: it reads the asset objects, whose names are content hashes.`,
      });
      v.acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: `${copies}: it writes and prunes every file of the console bucket, which holds nothing else.`,
      });
      v.acknowledge({
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: "The runtime of CDK's BucketDeployment provider is chosen by aws-cdk-lib, which moves it forward with its releases.",
      });
    }
  }
}
