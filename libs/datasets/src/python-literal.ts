import { DatasetError } from './errors.ts';

/**
 * Parses a Python list-of-strings literal as written by `repr(list)` (what pandas stored in
 * RouterBench's `prompt` and `<model>|model_response` columns), e.g. `['it\'s']` or
 * `["say \"hi\"\n"]`. Handles both quote styles, the escapes Python's repr emits
 * (\n \r \t \\ \' \" \xHH \uHHHH \UHHHHHHHH and the rest of the single-char ones), raw
 * prefixes and implicit concatenation of adjacent literals. Unlike Python it keeps a raw line
 * break inside a quoted string (a CSV field spanning lines after a hand edit or another exporter)
 * instead of rejecting the row. Throws `DatasetError('bad_literal')`.
 */
export function parsePythonList(s: string): string[] {
  let i = 0;
  const n = s.length;
  const fail = (why: string): never => {
    throw new DatasetError('bad_literal', `not a Python list of strings (${why} at offset ${i}): ${s.slice(0, 60)}`);
  };
  const skipWs = (): void => {
    while (i < n && /\s/.test(s[i]!)) i++;
  };
  skipWs();
  if (s[i] !== '[') fail("expected '['");
  i++;
  const out: string[] = [];
  skipWs();
  if (s[i] === ']') {
    i++;
    skipWs();
    if (i !== n) fail('trailing characters');
    return out;
  }
  for (;;) {
    skipWs();
    let value = '';
    let sawLiteral = false;
    // Adjacent literals concatenate ('a' 'b' == 'ab'), as in Python source.
    for (;;) {
      skipWs();
      let raw = false;
      if ((s[i] === 'r' || s[i] === 'R') && (s[i + 1] === "'" || s[i + 1] === '"')) {
        raw = true;
        i++;
      }
      const q = s[i];
      if (q !== "'" && q !== '"') break;
      value += readString(q, raw);
      sawLiteral = true;
    }
    if (!sawLiteral) fail('expected a string literal');
    out.push(value);
    skipWs();
    if (s[i] === ',') {
      i++;
      skipWs();
      if (s[i] === ']') break;
      continue;
    }
    if (s[i] === ']') break;
    fail("expected ',' or ']'");
  }
  i++;
  skipWs();
  if (i !== n) fail('trailing characters');
  return out;

  function readString(q: string, raw: boolean): string {
    const triple = s[i + 1] === q && s[i + 2] === q;
    const quoteLen = triple ? 3 : 1;
    i += quoteLen;
    let r = '';
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = s[i]!;
      if (c === q && (!triple || (s[i + 1] === q && s[i + 2] === q))) {
        i += quoteLen;
        return r;
      }
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) fail('dangling backslash');
        if (raw) {
          r += c + e;
          i += 2;
          continue;
        }
        i += 2;
        switch (e) {
          case 'n': r += '\n'; break;
          case 'r': r += '\r'; break;
          case 't': r += '\t'; break;
          case '\\': r += '\\'; break;
          case "'": r += "'"; break;
          case '"': r += '"'; break;
          case 'a': r += '\x07'; break;
          case 'b': r += '\b'; break;
          case 'f': r += '\f'; break;
          case 'v': r += '\v'; break;
          case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            let digits = e;
            while (digits.length < 3 && /[0-7]/.test(s[i] ?? '')) digits += s[i++];
            r += String.fromCodePoint(parseInt(digits, 8));
            break;
          }
          case '\n': break; // line continuation
          case 'x': r += hex(2); break;
          case 'u': r += hex(4); break;
          case 'U': r += hex(8); break;
          default: r += '\\' + e; // Python keeps unknown escapes verbatim
        }
        continue;
      }
      r += c;
      i++;
    }
  }

  function hex(len: number): string {
    const h = s.slice(i, i + len);
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) fail('bad hex escape');
    i += len;
    const cp = parseInt(h, 16);
    if (cp > 0x10ffff) fail('code point out of range');
    return String.fromCodePoint(cp);
  }
}

/**
 * Text of a Python list-of-strings literal: the elements joined with a blank line ("\n\n"),
 * because RouterBench multi-element prompts are separate messages of one conversation and a
 * blank line keeps them apart for both the tokenizer and the embedder. A value that is not a
 * list literal (no leading '[') is returned unchanged so plain-text columns also load.
 */
export function parsePythonListString(s: string): string {
  if (!s.trimStart().startsWith('[')) return s;
  return parsePythonList(s).join('\n\n');
}
