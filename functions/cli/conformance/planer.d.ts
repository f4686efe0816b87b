/** planer ships no types; the conformance run only calls these two functions. */
declare module 'planer' {
  const planer: {
    extractFromPlain(text: string): string;
    extractFromHtml(html: string, dom: unknown): string;
  };
  export default planer;
}
