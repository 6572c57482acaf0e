/** Shows user input inside an error sentence: quoted, control characters escaped, long input shortened. */
const MAX_SHOWN_CHARS = 80;

export function quoteInput(text: string): string {
  const shown = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS - 3)}...` : text;
  // eslint-disable-next-line no-control-regex
  const safe = shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `'${safe}'`;
}
