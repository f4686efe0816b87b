import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { OutboundSettingsSchema } from '../../../../functions/core/model/outbound-settings.ts';
import {
  DEFAULT_TEMPLATE,
  checkTemplate,
  renderHtmlTemplate,
  renderTextTemplate,
  textToHtml,
} from '../../../../functions/core/outbound/compose/render-template.ts';

const values = {
  bodyHtml: '<p>Hello <b>Jane</b></p>',
  signatureHtml: '<p>Max</p>',
  ticketNumber: '0000011',
  agentName: 'Max <Admin>',
  channelName: 'ACME & Co',
  subject: 'Re: "Printer" [#0000011]',
};

describe('renderHtmlTemplate', () => {
  it('fills every placeholder, escaping text values but not the body and signature HTML', () => {
    // Arrange
    const template = '<h1>{{ channelName }}</h1>{{body}}<hr>{{signature}}<i>{{agentName}}</i><title>{{subject}}</title>#{{ticketNumber}}';

    // Act
    const html = renderHtmlTemplate(template, values);

    // Assert
    expect(html).toBe(
      '<h1>ACME &amp; Co</h1><p>Hello <b>Jane</b></p><hr><p>Max</p><i>Max &lt;Admin&gt;</i><title>Re: &quot;Printer&quot; [#0000011]</title>#0000011',
    );
  });

  it('never expands a placeholder that a value carries', () => {
    const html = renderHtmlTemplate('{{subject}}|{{body}}', { ...values, subject: '{{body}}', bodyHtml: '{{signature}}' });
    expect(html).toBe('{{body}}|{{signature}}');
  });

  it('refuses unknown placeholders and a template without {{body}}', () => {
    expect(() => renderHtmlTemplate('{{body}} {{agnetName}}', values)).toThrow(ValidationError);
    expect(checkTemplate('{{signature}}').map((i) => i.message)).toEqual(['the template has no {{body}} placeholder']);
    expect(checkTemplate('{{body}}{{x}}{{x}}')).toHaveLength(1);
  });

  it('has a usable default template that the settings schema accepts', () => {
    expect(checkTemplate(DEFAULT_TEMPLATE)).toEqual([]);
    expect(renderHtmlTemplate(DEFAULT_TEMPLATE, values)).toContain('<p>Hello <b>Jane</b></p>');
    expect(OutboundSettingsSchema.safeParse({ template: '{{bdy}}' }).success).toBe(false);
    expect(OutboundSettingsSchema.parse({}).template).toBeNull();
  });
});

describe('checkTemplate: hostile templates', () => {
  it('refuses a placeholder inside markup in HTML only; a text variant has no markup', () => {
    // Act
    const html = checkTemplate('<a href="{{subject}}">{{body}}</a>', 'html');
    const text = checkTemplate('<{{subject}}> {{body}}', 'text', 'text');
    // Assert
    expect(html).toEqual([{ path: 'html', message: '{{subject}} inside a tag, attribute value or comment: placeholders belong in text content' }]);
    expect(text).toEqual([]);
    expect(() => renderHtmlTemplate('<img alt="{{agentName}}">{{body}}', values)).toThrow(ValidationError);
  });

  it.each([
    ['an unclosed placeholder before a long run of spaces', `{{body}}{{${' '.repeat(100_000)}`],
    ['many unclosed tags', `{{body}}${'<a title="'.repeat(10_000)}`],
    ['many unclosed comments', `{{body}}${'<!--'.repeat(25_000)}`],
    ['many single braces', `{{body}}${'{ }'.repeat(33_000)}`],
  ])('checks %s (100 kB) in linear time', (_, template) => {
    // Act
    const started = performance.now();
    checkTemplate(template, 'html');
    // Assert: the old placeholder pattern took 45 s for 5,000 spaces, and grows with their cube
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('textToHtml', () => {
  it('makes paragraphs at blank lines and breaks at single newlines, escaped', () => {
    expect(textToHtml('Hi Jane,\r\n\r\nline 1\nline <2>\n\n\n')).toBe('<p>Hi Jane,</p>\n<p>line 1<br>\nline &lt;2&gt;</p>');
  });
});

describe('renderTextTemplate', () => {
  const text = { bodyText: 'Hello\r\n', signatureText: 'Max', ticketNumber: '0000011', agentName: 'Max <Admin>', channelName: 'ACME & Co', subject: 'Re: x' };

  it('puts the signature after the RFC 3676 delimiter, and nothing without a signature', () => {
    expect(renderTextTemplate(text)).toBe('Hello\n\n-- \nMax\n');
    expect(renderTextTemplate({ ...text, bodyText: 'Hello', signatureText: '  ' })).toBe('Hello\n');
  });

  it('fills a text variant without escaping, in one pass, with LF line ends', () => {
    const variant = '{{channelName}} #{{ticketNumber}}\r\n\r\n{{body}}\r\n-- \r\n{{ signature }} ({{agentName}})\r\n\r\n';
    const filled = renderTextTemplate({ ...text, bodyText: '{{signature}}' }, variant);
    expect(filled).toBe('ACME & Co #0000011\n\n{{signature}}\n-- \nMax (Max <Admin>)\n');
  });

  it('refuses an unknown placeholder of a text variant on the field text', () => {
    expect(() => renderTextTemplate(text, '{{body}} {{content}}')).toThrow(ValidationError);
    const message = expect.stringMatching(/^unknown placeholders \{\{content\}\}, \{\{agentId\}\}; known: /);
    expect(checkTemplate('{{body}} {{content}} {{agentId}}', 'text')).toEqual([{ path: 'text', message }]);
  });
});
