import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { addr, parsedMessage } from '../../../support/factories.ts';
import { growth, LINEAR_BOUND } from '../../../support/growth.ts';

const bouncy = (text: string) =>
  parsedMessage({
    from: addr('MAILER-DAEMON@mx.example'),
    subject: 'Undelivered Mail Returned to Sender',
    text,
    reports: [{ contentType: 'message/delivery-status', text }],
  });

describe('classify: hostile input', () => {
  it.each([
    ['a long run without @', 'a'.repeat(2_000_000)],
    ['a long run of @', 'a@'.repeat(1_000_000)],
    ['dotted numbers', '5.5.5.'.repeat(300_000)],
    ['one address repeated', '<x@y.example>: 550 5.1.1\n'.repeat(100_000)],
  ])('stays bounded on %s', (_name, text) => {
    // Arrange
    const message = bouncy(text);

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients.length ?? 0).toBeLessThanOrEqual(1);
  });

  it.each([
    ['a run of tabs', (n: number) => `${'\t'.repeat(n)}x`],
    ['a reply prefix, then spaces', (n: number) => `Re${' \t'.repeat(n)}x`],
    ['a list tag, then spaces', (n: number) => `[list]${'\t '.repeat(n)}Out of office`],
  ])('reads a subject of %s in time linear in its length', async (_name, make) => {
    // Act
    // Without and with an auto-reply header: the subject patterns of both paths run.
    const run = (subject: string) => [
      classify(parsedMessage({ subject })),
      classify(parsedMessage({ subject, headers: [{ name: 'auto-submitted', value: 'auto-replied' }] })),
    ];
    const measured = await growth(make, run, 4000);

    // Assert
    expect(measured.ratio).toBeLessThan(LINEAR_BOUND);
  });

  it('keeps a delivery-status report that names nobody a bounce', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('relay@mx.example'),
      subject: 'Report',
      contentType: 'multipart/report',
      reportType: 'delivery-status',
      text: 'Delivery report unavailable',
      reports: [{ contentType: 'message/delivery-status', text: 'Reporting-MTA: dns; mx.example\n' }],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'bounce', reason: 'non-standard bounce: delivery-status report without recipients' });
    expect(result.deliveryReport?.recipients).toEqual([]);
  });
});
