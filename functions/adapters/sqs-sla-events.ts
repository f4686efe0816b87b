import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SlaEvent, SlaEventPublisher } from '../core/sla/ports.ts';

/** SLA events on an SQS queue (the sandbox's `slaEventsQueue`, where the SNS topic stands): one JSON message per event. */
export class SqsSlaEvents implements SlaEventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async publish(event: SlaEvent): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(event) }));
  }
}
