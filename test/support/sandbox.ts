import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { SandboxInfo } from '../../functions/local/sandbox.ts';
import { createSqsClient } from '../../functions/runtime/clients.ts';

/** Sends one mail to a running sandbox's SMTP port, as a customer's server would. */
export async function sendToSandbox(info: SandboxInfo, mail: SendMailOptions): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: info.smtp.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail(mail);
  } finally {
    transport.close();
  }
}

/** The pointers waiting on a skill queue of a running sandbox, taken off it as an agent's app would. */
export async function takeFromSandbox(info: SandboxInfo, skill = 'support'): Promise<RoutedMessage[]> {
  const { aws } = info;
  const url = info.queues[skill] ?? '';
  const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
  try {
    const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const messages = page.Messages ?? [];
    if (messages.length > 0)
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: `${i}`, ReceiptHandle: m.ReceiptHandle })) }));
    return messages.map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
  } finally {
    sqs.destroy();
  }
}
