import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, openApiText } from '../../../functions/api/openapi-document.ts';

describe('docs/openapi.json', () => {
  it('is the document the app generates from its zod schemas (run `npm run openapi` when this fails)', () => {
    // Arrange
    const committed = readFileSync(join(import.meta.dirname, '../../..', OPENAPI_PATH), 'utf8');
    // Act
    const generated = openApiText();
    // Assert
    expect(committed).toBe(generated);
  });

  it('is OpenAPI 3.1 with the main resources and a security scheme', () => {
    // Act
    const doc = JSON.parse(openApiText()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    // Assert
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/channels',
      '/skills',
      '/channels/{channelId}/rules',
      '/channels/{channelId}/dry-run',
      '/conversations/{conversationId}/reply',
      '/failed-messages',
      '/suppressions',
      '/audit',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'sigv4']);
    expect(doc.components.schemas).toHaveProperty('Error');
  });
});
