/**
 * Shortening of received values and names quoted in error messages: a message names what it got, but a 100,000-
 * character value or field name must not come back whole (it buries the message and may be pasted from a secret).
 */

/** Longest quoted text, in characters. */
export const QUOTE_LIMIT = 80;

/** `text` cut to `max` characters with "..." when longer. */
export function shorten(text: string, max = QUOTE_LIMIT): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
