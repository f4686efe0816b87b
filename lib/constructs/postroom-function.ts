import { Duration, RemovalPolicy, type Size, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface PostroomFunctionProps<Env extends Readonly<Record<string, string>>> {
  /** Absolute path of the entry file (`functions/<name>.ts`). */
  readonly entry: string;
  /** The function's environment, typed by its env schema's input so a missing variable fails `tsc`. */
  readonly environment: Env;
  readonly description: string;
  /**
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Size of the function's /tmp.
   * @default Lambda's 512 MiB
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Concurrency reserved for (and capping) the function.
   * @default none: it shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The newest Node.js runtime this aws-cdk-lib offers, and the Node the project itself runs on
 * (`package.json` installs that version as the `node` dev dependency).
 */
export const POSTROOM_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild's target for the bundles: the runtime's Node (`nodejs24.x` → `node24`). */
export const POSTROOM_BUNDLE_TARGET = POSTROOM_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1');

/** What active tracing needs: X-Ray's trace actions support no resource-level permissions. */
const TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * A Lambda function with the house defaults: newest Node runtime, ARM64, active tracing, its own
 * log group with retention, a role with no managed policies (logs to its log group only), and an
 * ESM bundle built locally by esbuild (no Docker) with source maps, minified, SDK included so the
 * code runs on the versions it was tested with.
 *
 * The X-Ray statement (`Resource: *`) sits in a policy of its own, the only one whose wildcard
 * resource is acknowledged: a `*` in any grant of the role's default policy fails cdk-nag.
 */
export class PostroomFunction<Env extends Readonly<Record<string, string>>> extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  /** The role's X-Ray statement, alone in its policy. */
  readonly tracingPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: PostroomFunctionProps<Env>) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: POSTROOM_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      // Tracing is switched on below, so Lambda does not add the X-Ray statement to the default policy.
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 1024,
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.ephemeralStorageSize === undefined ? {} : { ephemeralStorageSize: props.ephemeralStorageSize }),
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: POSTROOM_BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        // Class names survive minification, so errors and logs name `MailParseError`, not `e`.
        keepNames: true,
        externalModules: [],
        // Bundled CommonJS dependencies call `require`; ESM output has none without this shim.
        banner: "import { createRequire as __postroomCreateRequire } from 'node:module'; const require = __postroomCreateRequire(import.meta.url);",
      },
    });
    this.tracingPolicy = new iam.Policy(this, 'Tracing', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({ actions: TRACING_ACTIONS, resources: ['*'] })],
    });
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    this.function.node.addDependency(this.tracingPolicy);
    Validations.of(this.tracingPolicy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no resource-level permissions; this policy holds nothing else.',
    });
  }
}
