import { createReadStream, readFileSync } from 'node:fs';
import { MailparserMimeParser } from '../functions/adapters/mailparser-mime-parser.ts';
import { decideInbound } from '../functions/core/inbound/decide-inbound.ts';
import { MemoryConversationStore } from '../functions/adapters/memory/memory-conversation-store.ts';
import { ChannelSettingsSchema } from '../functions/core/model/channel.ts';

// Bundled by memory.ts and run in a fresh process per mail: reads the raw mail the way the SDK
// hands over an S3 body (chunks, then one concatenated copy), decides it, prints the peak RSS.
const file = process.argv[2];
if (!file) throw new Error('usage: memory-child FILE');
const baselineRss = process.memoryUsage().rss;
const chunks: Buffer[] = [];
for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer);
const joined = Buffer.concat(chunks);
const raw = new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
chunks.length = 0;
const channel = ChannelSettingsSchema.parse({ id: 'support', address: 'support@example.com', defaultSkill: 'support' });
const decision = await decideInbound({ parser: new MailparserMimeParser(), lookup: new MemoryConversationStore() }, { raw, channel });
process.stdout.write(`${JSON.stringify({ baselineRss, peakRss: peakRss(), lane: decision.classification.lane })}\n`);

/**
 * VmHWM, the high-water mark of this process's own memory. getrusage's maxrss is no good here:
 * Linux carries it across fork and exec, so a child of a large parent starts at the parent's size.
 */
function peakRss(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1]) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
