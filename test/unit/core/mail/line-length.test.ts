import { describe, expect, it } from 'vitest';
import { limitLineLength } from '../../../../functions/core/mail/line-length.ts';

describe('limitLineLength', () => {
  it('returns the text as it is when no line is longer than the limit', () => {
    // Arrange
    const text = 'short\nlines\n\nonly';

    // Act
    const limited = limitLineLength(text, 5);

    // Assert
    expect(limited).toEqual({ text, cut: false });
  });

  it('cuts at the last space before the limit; the space becomes the line break', () => {
    // Act
    const limited = limitLineLength('one two three four\nfive', 9);

    // Assert
    expect(limited).toEqual({ text: 'one two\nthree\nfour\nfive', cut: true });
  });

  it('cuts a line without spaces at the limit and loses no character', () => {
    // Arrange
    const line = 'x'.repeat(25);

    // Act
    const limited = limitLineLength(`a\n${line}\nb`, 10);

    // Assert
    expect(limited.text).toBe(`a\n${'x'.repeat(10)}\n${'x'.repeat(10)}\n${'x'.repeat(5)}\nb`);
    expect(limited.text.replace(/\n/g, '')).toBe(`a${line}b`);
  });

  it('looks back for a space only 200 characters: further back the line is cut at the limit', () => {
    // Arrange
    const text = `a ${'b'.repeat(500)}`;

    // Act
    const limited = limitLineLength(text, 300);

    // Assert
    expect(limited.text.split('\n').map((line) => line.length)).toEqual([300, 202]);
  });

  it('never cuts between the halves of a surrogate pair', () => {
    // Arrange: the limit falls inside the third emoji
    const text = '😀😀😀😀';

    // Act
    const limited = limitLineLength(text, 5);

    // Assert
    expect(limited.text).toBe('😀😀\n😀😀');
    expect(limited.text.split('\n').every((line) => line.isWellFormed())).toBe(true);
  });

  it('makes progress with a limit of one character', () => {
    expect(limitLineLength('😀ab', 1).text).toBe('\ud83d\n\ude00\na\nb');
  });

  it('keeps a trailing line break and the lines after a cut line', () => {
    expect(limitLineLength('abcdef\nxy\n', 3).text).toBe('abc\ndef\nxy\n');
  });
});
