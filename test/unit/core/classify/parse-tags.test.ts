import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { parsedMessage } from '../../../support/factories.ts';

describe('classify: what the parser changed stays on the mail', () => {
  it('adds the parse tags to the classifier tags, in any lane', () => {
    // Arrange
    const human = parsedMessage({ parseTags: ['limit-line-length', 'structure-repaired'] });
    const bulk = parsedMessage({ parseTags: ['limit-html-depth'], headers: [{ name: 'precedence', value: 'bulk' }] });

    // Act
    const results = [classify(human), classify(bulk)];

    // Assert
    expect(results[0]?.tags).toEqual(['limit-line-length', 'structure-repaired']);
    expect(results[1]?.lane).toBe('bulk');
    expect(results[1]?.tags).toEqual(['auto', 'bulk', 'limit-html-depth']);
  });

  it('adds nothing for a message read as it came', () => {
    expect(classify(parsedMessage()).tags).toEqual([]);
    expect(classify(parsedMessage({ parseTags: [] })).tags).toEqual([]);
  });
});
