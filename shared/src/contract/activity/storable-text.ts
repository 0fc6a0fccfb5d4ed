// PostgreSQL (under FerretDB) cannot store NUL in text (SQLSTATE 22P05), and no UTF-8 store can hold a
// lone surrogate faithfully (the BSON encoder swaps it for U+FFFD).
// eslint-disable-next-line no-control-regex -- NUL is exactly what this must find.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export const UNSTORABLE_STRING_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** Whether every supported store can write this string byte for byte. */
export function isStorableString(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** The string with what no store can hold replaced by U+FFFD, for text that must be kept whatever it holds. */
export function storableText(value: string): string {
  return value.replace(UNSTORABLE_ALL, '\uFFFD');
}
