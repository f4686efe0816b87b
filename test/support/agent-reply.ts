import type { AgentReply } from '../../functions/core/model/agent-reply.ts';
import { DEFAULT_TEMPLATE } from '../../functions/core/outbound/compose/render-template.ts';

/** An agent's reply as the planner takes it (validated, resolved): text only, the built-in template, no signature. */
export function agentReply(overrides: Partial<AgentReply> = {}): AgentReply {
  return {
    agentId: 'agent-1',
    agentName: '',
    text: 'Hello',
    html: null,
    cc: [],
    bcc: [],
    attachments: [],
    template: { html: DEFAULT_TEMPLATE, text: null },
    signature: null,
    ...overrides,
  };
}
