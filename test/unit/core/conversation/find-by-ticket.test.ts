import { describe, expect, it } from 'vitest';
import { conversationsWithTicket, onlyConversation } from '../../../../functions/core/conversation/find-by-ticket.ts';
import { ConflictError } from '../../../../functions/core/errors.ts';

const index: Record<string, Record<string, { id: string; channelId: string; ticketNumber: string }>> = {
  support: {
    '0000013': { id: 'c-support', channelId: 'support', ticketNumber: '0000013' },
    '0000024': { id: 'c-new', channelId: 'support', ticketNumber: '0000024' },
  },
  sales: { '0000013': { id: 'c-sales', channelId: 'sales', ticketNumber: '0000013' } },
};
const lookup = async (channelId: string, ticket: string) => index[channelId]?.[ticket] ?? null;

describe('conversationsWithTicket and onlyConversation', () => {
  it('finds the one conversation of a number, on whichever channel, with or without #', async () => {
    // Act
    const found = await conversationsWithTicket(lookup, ['support', 'sales'], '#0000024');
    // Assert
    expect(onlyConversation(found, '0000024')?.id).toBe('c-new');
    expect(onlyConversation(await conversationsWithTicket(lookup, ['support', 'sales'], '0000035'), '0000035')).toBeNull();
  });

  it('refuses a number from before it was unique, naming every conversation and its channel', async () => {
    // Arrange
    const found = await conversationsWithTicket(lookup, ['support', 'sales', 'support'], '0000013');

    // Act
    const error = (() => {
      try {
        return onlyConversation(found, '0000013');
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(found).toHaveLength(2);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('c-support (channel support), c-sales (channel sales)');
  });
});
