import { describe, expect, it } from 'vitest';
import { exampleConfig, synthPostroom } from './synth-postroom.ts';

/** ReservedConcurrentExecutions of each function, by its description's first words. */
function reservations(config = exampleConfig()): Record<string, unknown> {
  const functions = synthPostroom(config, { bundle: false }).template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: Record<string, unknown> }
  >;
  return Object.fromEntries(
    Object.values(functions).map((f) => [String(f.Properties.Description ?? '').split(':')[0], f.Properties.ReservedConcurrentExecutions]),
  );
}

describe('inbound function concurrency', () => {
  it('reserves the documented default for the inbound function, one for the SLA check (one run at a time), and none for any other', () => {
    // Act
    const reserved = reservations();

    // Assert
    expect(reserved['Postroom inbound']).toBe(20);
    expect(
      Object.entries(reserved)
        .filter(([, value]) => value !== undefined)
        .sort(),
    ).toEqual([
      ['Postroom SLA check', 1],
      ['Postroom inbound', 20],
    ]);
  });

  it('takes receiving.reservedConcurrency from the config', () => {
    // Arrange
    const config = exampleConfig({ receiving: { scanEnabled: true, requireTls: true, reservedConcurrency: 5 } });

    // Act
    const reserved = reservations(config);

    // Assert
    expect(reserved['Postroom inbound']).toBe(5);
  });
});
