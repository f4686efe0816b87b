import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SlaEvent, SlaEventPublisher } from '../core/sla/ports.ts';

/**
 * SLA events on an SNS topic: one message per event, the JSON of the event, with `type`,
 * `target` and `channelId` as message attributes so a subscription can filter (only breaches, one
 * channel) without reading the body.
 */
export class SnsSlaEvents implements SlaEventPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: SlaEvent): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: event.type },
          target: { DataType: 'String', StringValue: event.target },
          channelId: { DataType: 'String', StringValue: event.channelId },
        },
      }),
    );
  }
}
