import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
type Resources = Record<string, { Properties: Record<string, unknown> }>;

let template: Template;
let nag: NagReport;

beforeAll(() => {
  ({ template, nag } = synthPostroom(exampleConfig(), { bundle: false }));
});

const WORK = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
const adminStatements = (): Statement[] =>
  Object.entries(template.findResources('AWS::IAM::Policy') as Resources)
    .filter(([id]) => id.includes('AdminApiHandlerRole'))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const queueIds = (fragment: string) =>
  Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('SkillQueuesSkill') && id.includes(fragment));

describe('the admin function on the skill queues (the work routes)', () => {
  it("may receive, keep invisible, delete and count messages of every skill queue: the stack's and those under the runtime prefix", () => {
    // Arrange
    const work = adminStatements().filter((s) => [s.Action].flat().includes('sqs:ReceiveMessage'));
    const resources = JSON.stringify(work.map((s) => s.Resource));
    // Assert
    expect(work).toHaveLength(1);
    expect([work[0]?.Action].flat().sort()).toEqual(WORK);
    expect(resources).toContain(':postroom-skill-*');
    const queues = queueIds('Queue').filter((id) => !id.includes('DeadLetter'));
    expect(queues).toHaveLength(3);
    for (const id of queues) expect(resources).toContain(`"${id}"`);
  });

  it("never receives from or deletes on a stack skill's dead-letter queue, and stays cdk-nag clean", () => {
    // Arrange
    const deadLetter = queueIds('DeadLetterQueue');
    const consuming = adminStatements().filter((s) => [s.Action].flat().some((a) => /^sqs:(ReceiveMessage|DeleteMessage|ChangeMessageVisibility|\*)$/.test(a)));
    // Assert
    expect(deadLetter).toHaveLength(3);
    for (const id of deadLetter) expect(JSON.stringify(consuming)).not.toContain(`"${id}"`);
    expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
