import { describe, expect, it } from 'vitest';
import { boundHtmlDepth } from '../../../functions/adapters/mime/html-depth.ts';

describe('boundHtmlDepth', () => {
  it('leaves HTML within the depth as it is', () => {
    // Arrange
    const html = '<html><body><div><p>a<p>b<ul><li>1<li>2</ul></div><br><img src="x"></body></html>';

    // Act
    const bounded = boundHtmlDepth(html, 5);

    // Assert
    expect(bounded).toEqual({ html, flattened: false });
  });

  it('removes the tags of the elements deeper than the bound and keeps their text', () => {
    // Act
    const bounded = boundHtmlDepth('<div><div><div><b>deep</b> text</div></div></div>after', 2);

    // Assert
    expect(bounded).toEqual({ html: '<div><div>deep text</div></div>after', flattened: true });
  });

  it('does not count unclosed paragraphs, list items, cells and options as nesting', () => {
    // Arrange
    const html = `<div>${'<p>para'.repeat(50)}<ul>${'<li>item'.repeat(50)}</ul><table>${'<tr><td>a<td>b'.repeat(50)}</table>${'<dt>t<dd>d'.repeat(50)}</div>`;

    // Act
    const bounded = boundHtmlDepth(html, 4);

    // Assert
    expect(bounded.flattened).toBe(false);
  });

  it('counts <div/> as an open div, as an HTML parser does, but not <path/> inside <svg>', () => {
    // Act
    const divs = boundHtmlDepth('<div/><div/><div/>x', 2);
    const svg = boundHtmlDepth(`<svg>${'<path d="M0"/>'.repeat(20)}</svg>`, 2);

    // Assert
    expect(divs).toEqual({ html: '<div/><div/>x', flattened: true });
    expect(svg.flattened).toBe(false);
  });

  it('counts <div/> as open again inside <foreignObject>, where an HTML parser reads HTML', () => {
    // Act
    const bounded = boundHtmlDepth(`<svg><foreignObject>${'<div/>'.repeat(5)}x`, 4);

    // Assert
    expect(bounded).toEqual({ html: '<svg><foreignObject><div/><div/>x', flattened: true });
  });

  it('closes no more than the HTML parser does: a table section does not close cells', () => {
    // Act
    const bounded = boundHtmlDepth('<td><tbody><td><tbody><td><tbody>x', 3);

    // Assert
    expect(bounded.flattened).toBe(true);
  });

  it('skips comments and the raw text of style and script, whatever tags they hold', () => {
    // Arrange
    const html = `<!-- ${'<div>'.repeat(10)} --><style>${'<div>'.repeat(10)}</style><script>if (a<b) {}</script><div>x</div>`;

    // Act
    const bounded = boundHtmlDepth(html, 1);

    // Assert
    expect(bounded).toEqual({ html, flattened: false });
  });

  it('reads <style/> as an element, not as the start of raw text (a parser reads on)', () => {
    // Act
    const bounded = boundHtmlDepth(`${'<style/>'.repeat(5)}<div>x</div>`, 2);

    // Assert
    expect(bounded).toEqual({ html: '<style/><style/>x', flattened: true });
  });

  it('closes everything opened inside an element at its close tag, and ignores close tags of nothing', () => {
    // Act
    const bounded = boundHtmlDepth('<div><span><span><span></div></b></b><div><div>x</div></div>', 2);

    // Assert
    expect(bounded).toEqual({ html: '<div><span></div></b></b><div><div>x</div></div>', flattened: true });
  });

  it('stops at markup that never ends: a tag, a comment or raw text without its end', () => {
    expect(boundHtmlDepth('<div><div><div', 1)).toEqual({ html: '<div><div', flattened: true });
    expect(boundHtmlDepth('<div><!-- <div><div>', 1)).toEqual({ html: '<div><!-- <div><div>', flattened: false });
    expect(boundHtmlDepth('<div><style><div><div>', 1)).toEqual({ html: '<div><style><div><div>', flattened: false });
  });
});
