/**
 * Text holding lone UTF-16 surrogates is not valid Unicode: a client sends a string as UTF-8,
 * where each lone surrogate becomes U+FFFD, so `'x\uD800'`, `'x\uDFFF'` and `'x\uFFFD'` would
 * reach Redis (or an entry's bytes) as one string. Such text is written instead with `%` as `%25`
 * and each lone surrogate as `%uD800`: valid text, one for each string, and reversible.
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** True when UTF-8 would turn a surrogate of `text` into U+FFFD. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** `%` as `%25`, each lone surrogate as `%uD800`: injective, and valid text. */
export function encodeLoneSurrogates(text: string): string {
  return text.replace(/%/g, '%25').replace(LONE_SURROGATES, percentSurrogate);
}

/** The inverse of {@link encodeLoneSurrogates}. */
export function decodeLoneSurrogates(text: string): string {
  return text.replace(/%u([0-9A-F]{4})|%25/g, (_, hex: string | undefined) =>
    hex === undefined ? '%' : String.fromCharCode(parseInt(hex, 16)),
  );
}

function percentSurrogate(unit: string): string {
  return `%u${unit.charCodeAt(0).toString(16).toUpperCase()}`;
}
