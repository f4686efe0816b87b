import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PostroomStack } from '../lib/postroom-stack.ts';
import { loadConfig } from '../lib/load-config.ts';

const app = new App();
const config = loadConfig(app.node.tryGetContext('config') as string | undefined);
new PostroomStack(app, 'Postroom', {
  config,
  description: 'Postroom: email channel for contact centers',
  // Account and region come from the CLI's credentials at deploy time; synth needs neither.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
