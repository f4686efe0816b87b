import { htmlReplyOf } from '../../adapters/mime/html-quote.ts';
import { htmlToText } from '../../adapters/mime/html-to-text.ts';
import { extractReply } from '../../core/inbound/extract-reply.ts';
import type { ReplyCase } from './reply-suites.ts';

/** What a parser made of a case: the new text, and the signature it split off ('' if none). */
export interface ParsedReply {
  readonly reply: string;
  readonly signature: string;
}

export interface Contender {
  readonly name: string;
  readonly parse: (c: ReplyCase) => ParsedReply;
}

/** Postroom as the inbound path runs it: the MIME adapter's HTML quote cut, then the core. */
export const postroom: Contender = {
  name: 'postroom',
  parse(c) {
    const text = c.kind === 'html' ? htmlToText(c.input) : c.input;
    const result = extractReply(text, c.kind === 'html' ? htmlReplyOf(c.input) : c.htmlReply);
    return { reply: result.reply, signature: result.signature ?? '' };
  },
};

interface Planer {
  extractFromPlain(text: string): string;
  extractFromHtml(html: string, dom: unknown): string;
}
interface Fragment {
  isSignature(): boolean;
  isQuoted(): boolean;
  getContent(): string;
}
type ErpClass = new () => { read(text: string): { getVisibleText(): string; getFragments(): Fragment[] } };

/**
 * The two kept libraries, used as their READMEs say. planer's HTML mode needs a DOM: linkedom
 * gives it one, but lacks the XPath that planer uses for Outlook markup; when planer throws,
 * it is run on the text of the HTML, as a user without a full DOM would. email-reply-parser
 * reads text only, so it gets the text of the HTML. Null when the devDependencies are missing.
 */
export async function libraryContenders(): Promise<Contender[] | null> {
  try {
    const planer = ((await import('planer')) as unknown as { default: Planer }).default;
    const Erp = ((await import('email-reply-parser')) as unknown as { default: ErpClass }).default;
    const { parseHTML } = await import('linkedom');
    const dom = { implementation: { createHTMLDocument: () => parseHTML('<!doctype html><html><head></head><body></body></html>').document } };
    const planerContender: Contender = {
      name: 'planer',
      parse(c) {
        if (c.kind !== 'html') return { reply: planer.extractFromPlain(c.input), signature: '' };
        try {
          return { reply: htmlToText(planer.extractFromHtml(c.input, dom)), signature: '' };
        } catch {
          return { reply: planer.extractFromPlain(htmlToText(c.input)), signature: '' };
        }
      },
    };
    const erpContender: Contender = {
      name: 'email-reply-parser',
      parse(c) {
        const email = new Erp().read(c.kind === 'html' ? htmlToText(c.input) : c.input);
        const signature = email
          .getFragments()
          .filter((f) => f.isSignature() && !f.isQuoted())
          .map((f) => f.getContent())
          .join('\n');
        return { reply: email.getVisibleText(), signature };
      },
    };
    return [planerContender, erpContender];
  } catch {
    return null;
  }
}
