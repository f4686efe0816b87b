import { AssetHashType, Duration, RemovalPolicy, type Size, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { dirname } from 'node:path';
import { BUNDLE_TARGET, bundleFunctionSync } from '../bundling.ts';

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
if (POSTROOM_BUNDLE_TARGET !== BUNDLE_TARGET) throw new Error(`lib/bundling.ts targets ${BUNDLE_TARGET}, the runtime is ${POSTROOM_RUNTIME.name}`);

/**
 * The function's code: its entry bundled locally by `lib/bundling.ts` (ESM, minified, source
 * maps, code splitting, the mail libraries' rarely used parts as lazily required files), hashed
 * by what the bundle holds.
 */
function bundledCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: the local bundling always runs (esbuild is a dependency) or throws.
      image: POSTROOM_RUNTIME.bundlingImage,
      // Tells one function's bundling from another's (the asset cache keys on these options).
      command: ['postroom-bundle', entry],
      local: {
        tryBundle(outputDir) {
          bundleFunctionSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}

/** What active tracing needs: X-Ray's trace actions support no resource-level permissions. */
const TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * A Lambda function with the house defaults: newest Node runtime, ARM64, active tracing, its own
 * log group with retention, a role with no managed policies (logs to its log group only), and an
 * ESM bundle built locally by esbuild (no Docker, `lib/bundling.ts`) with source maps, minified,
 * split where the code imports lazily, SDK included so the code runs on the versions it was tested with.
 *
 * The X-Ray statement (`Resource: *`) sits in a policy of its own, the only one whose wildcard
 * resource is acknowledged: a `*` in any grant of the role's default policy fails cdk-nag.
 */
export class PostroomFunction<Env extends Readonly<Record<string, string>>> extends Construct {
  readonly function: lambda.Function;
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

    this.function = new lambda.Function(this, 'Function', {
      code: bundledCode(props.entry),
      handler: 'index.handler',
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
      // No `--enable-source-maps`: Node would parse each file's map as it loads (the import and the
      // first mail pay for it). The maps ship in the asset; logged errors are mapped from them
      // (functions/runtime/source-stack.ts), and the bundles keep names.
      environment: { ...props.environment },
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
