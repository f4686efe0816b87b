import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsWorkQueue } from '../../../functions/adapters/sqs-work-queue.ts';
import { ConfigError, DependencyError, PolicyError } from '../../../functions/core/errors.ts';
import { LeaseGoneError } from '../../../functions/core/work/work-item.ts';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.eu-west-1.amazonaws.com/1/support.fifo';
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: {} });

beforeEach(() => sqs.reset());

describe('SqsWorkQueue', () => {
  it('receives one message, invisible for the lease, with a long poll and an attempt id that makes an SDK retry safe', async () => {
    // Arrange
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ MessageId: 'sqs-1', ReceiptHandle: 'h-1', Body: '{"messageId":"m-1"}' }] });
    // Act
    const received = await new SqsWorkQueue(new SQSClient({})).receive(URL, 600);
    // Assert
    expect(received).toEqual({ body: '{"messageId":"m-1"}', receiptHandle: 'h-1', queueMessageId: 'sqs-1' });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: URL,
      MaxNumberOfMessages: 1,
      VisibilityTimeout: 600,
      WaitTimeSeconds: 1,
      ReceiveRequestAttemptId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('answers null for an empty queue, and counts visible and in-flight messages', async () => {
    // Arrange
    sqs.on(ReceiveMessageCommand).resolves({});
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '2' } });
    const queue = new SqsWorkQueue(new SQSClient({}), { waitSeconds: 0 });
    // Act / Assert
    expect(await queue.receive(URL, 30)).toBeNull();
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.WaitTimeSeconds).toBe(0);
    expect(await queue.counts(URL)).toEqual({ waiting: 3, inFlight: 2 });
  });

  it('says a receipt handle that names no message in flight any more is a gone lease, however SQS words it', async () => {
    // Arrange: the functions' client turns InvalidParameterValue into a DependencyError around it (`withDomainErrors`)
    const rejected = (error: Error) => new DependencyError('dependency-rejected', `${error.name}: ${error.message}`, { cause: error });
    sqs
      .on(ChangeMessageVisibilityCommand)
      .rejectsOnce(awsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.'))
      .rejectsOnce(awsError('MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.'))
      .rejectsOnce(rejected(awsError('InvalidParameterValue', 'Value h-1 for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.')))
      .rejectsOnce(
        rejected(
          awsError(
            'InvalidParameterValue',
            'Value 3600 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
          ),
        ),
      );
    sqs.on(DeleteMessageCommand).rejects(awsError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.'));
    const queue = new SqsWorkQueue(new SQSClient({}));
    // Act
    const errors = [];
    for (let i = 0; i < 4; i++) errors.push(await queue.setVisibility(URL, 'h-1', 3600).catch((e: unknown) => e));
    const missing = await queue.delete(URL, 'h-1').catch((e: unknown) => e);
    // Assert
    expect(errors.slice(0, 3).every((e) => e instanceof LeaseGoneError)).toBe(true);
    expect(errors[3]).toBeInstanceOf(PolicyError);
    expect((errors[3] as Error).message).toMatch(/at most 12 hours/);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toBe("the skill's queue does not exist: ask an admin to check the skill");
    expect(
      errors
        .slice(0, 3)
        .map((e) => (e as Error).message)
        .join(' '),
    ).not.toMatch(/ReceiptHandle|MessageNotInflight|InvalidParameter/);
  });

  it('lets other failures through as they are (a throttle stays retryable), for the API to answer them', async () => {
    // Arrange
    const throttled = new DependencyError('dependency-unavailable', 'ThrottlingException: slow down', { cause: awsError('ThrottlingException', 'slow down') });
    sqs.on(DeleteMessageCommand).rejects(throttled);
    // Act
    const error = await new SqsWorkQueue(new SQSClient({})).delete(URL, 'h-1').catch((e: unknown) => e);
    // Assert
    expect(error).toBe(throttled);
    expect((error as DependencyError).retryable).toBe(true);
  });
});
