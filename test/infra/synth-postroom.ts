import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostroomConfigSchema, type PostroomConfig, type PostroomConfigInput } from '../../functions/core/model/postroom-config.ts';
import { loadConfig } from '../../lib/load-config.ts';
import { PostroomStack } from '../../lib/postroom-stack.ts';

/** One cdk-nag violation (or acknowledged one) from the validation report. */
export interface ReportedViolation {
  readonly ruleName: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
  readonly acknowledgedId?: string;
  readonly reason?: string;
}

export interface NagReport {
  readonly violations: readonly ReportedViolation[];
  readonly suppressedViolations: readonly ReportedViolation[];
}

/** Synthesizes a stack-building function in an app with the AwsSolutions checks, as `bin/` does. */
export function synthWithNag<S extends Stack>(build: (app: App) => S, context: Record<string, unknown> = {}): { stack: S; template: Template; nag: NagReport } {
  const outdir = mkdtempSync(join(tmpdir(), 'postroom-cdk-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), ...context } });
  const stack = build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let validationFailed = false;
  try {
    app.synth();
  } catch (error) {
    // Synthesis throws when a plugin reports violations; the report is written first.
    if (!(error instanceof Error) || !/ValidationFailed/.test(`${error.name} ${error.message}`)) throw error;
    validationFailed = true;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: (NagReport & { pluginName: string })[];
  };
  const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
  if (!nag) throw new Error('no AwsSolutions report');
  const result = { violations: nag.violations, suppressedViolations: nag.suppressedViolations ?? [] };
  return { stack, template: validationFailed ? unavailableTemplate() : Template.fromStack(stack), nag: result };
}

/** The example config at the repo root, as `cdk synth` reads it. */
export function exampleConfig(overrides: Partial<PostroomConfigInput> = {}): PostroomConfig {
  const base = loadConfig(join(import.meta.dirname, '../../postroom.config.json'));
  return PostroomConfigSchema.parse({ ...base, ...overrides });
}

/** Synthesizes the Postroom stack for a config. */
export function synthPostroom(
  config: PostroomConfig = exampleConfig(),
  options: { readonly bundle?: boolean } = {},
): { stack: PostroomStack; template: Template; nag: NagReport } {
  // Without bundling (`aws:cdk:bundling-stacks: []`) synthesis takes no esbuild run: for variants.
  const context = options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {};
  return synthWithNag((app) => new PostroomStack(app, 'Postroom', { config }), context);
}

function unavailableTemplate(): Template {
  return new Proxy({} as Template, {
    get: () => {
      throw new Error('synthesis failed validation: no template');
    },
  });
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(import.meta.dirname, '../../cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}
