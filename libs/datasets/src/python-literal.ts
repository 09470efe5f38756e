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
  return new ListLiteralReader(s).list();
}

/** A cursor over one literal; each method reads one construct and leaves `i` after it. */
class ListLiteralReader {
  #i = 0;
  readonly #s: string;
  readonly #n: number;

  constructor(s: string) {
    this.#s = s;
    this.#n = s.length;
  }

  list(): string[] {
    const s = this.#s;
    this.#skipWs();
    if (s[this.#i] !== '[') this.#fail("expected '['");
    this.#i++;
    const out: string[] = [];
    this.#skipWs();
    if (s[this.#i] === ']') return this.#end(out);
    for (;;) {
      out.push(this.#element());
      this.#skipWs();
      if (s[this.#i] === ',') {
        this.#i++;
        this.#skipWs();
        if (s[this.#i] === ']') break;
        continue;
      }
      if (s[this.#i] === ']') break;
      this.#fail("expected ',' or ']'");
    }
    return this.#end(out);
  }

  #end(out: string[]): string[] {
    this.#i++;
    this.#skipWs();
    if (this.#i !== this.#n) this.#fail('trailing characters');
    return out;
  }

  /** One element: adjacent literals concatenate ('a' 'b' == 'ab'), as in Python source. */
  #element(): string {
    const s = this.#s;
    this.#skipWs();
    let value = '';
    let sawLiteral = false;
    for (;;) {
      this.#skipWs();
      let raw = false;
      if ((s[this.#i] === 'r' || s[this.#i] === 'R') && (s[this.#i + 1] === "'" || s[this.#i + 1] === '"')) {
        raw = true;
        this.#i++;
      }
      const q = s[this.#i];
      if (q !== "'" && q !== '"') break;
      value += this.#string(q, raw);
      sawLiteral = true;
    }
    if (!sawLiteral) this.#fail('expected a string literal');
    return value;
  }

  #string(q: string, raw: boolean): string {
    const s = this.#s;
    const triple = s[this.#i + 1] === q && s[this.#i + 2] === q;
    const quoteLen = triple ? 3 : 1;
    this.#i += quoteLen;
    let r = '';
    for (;;) {
      if (this.#i >= this.#n) this.#fail('unterminated string');
      const c = s[this.#i]!;
      if (c === q && (!triple || (s[this.#i + 1] === q && s[this.#i + 2] === q))) {
        this.#i += quoteLen;
        return r;
      }
      if (c === '\\') {
        const e = s[this.#i + 1];
        if (e === undefined) this.#fail('dangling backslash');
        this.#i += 2;
        r += raw ? c + e : this.#escape(e!);
        continue;
      }
      r += c;
      this.#i++;
    }
  }

  /** The text of the escape `\\e`, the cursor just after `e`. */
  #escape(e: string): string {
    const s = this.#s;
    switch (e) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '\\': return '\\';
      case "'": return "'";
      case '"': return '"';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(s[this.#i] ?? '')) digits += s[this.#i++];
        return String.fromCodePoint(parseInt(digits, 8));
      }
      case '\n': return ''; // line continuation
      case 'x': return this.#hex(2);
      case 'u': return this.#hex(4);
      case 'U': return this.#hex(8);
      default: return '\\' + e; // Python keeps unknown escapes verbatim
    }
  }

  #hex(len: number): string {
    const h = this.#s.slice(this.#i, this.#i + len);
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) this.#fail('bad hex escape');
    this.#i += len;
    const cp = parseInt(h, 16);
    if (cp > 0x10ffff) this.#fail('code point out of range');
    return String.fromCodePoint(cp);
  }

  #skipWs(): void {
    while (this.#i < this.#n && /\s/.test(this.#s[this.#i]!)) this.#i++;
  }

  #fail(why: string): never {
    throw new DatasetError('bad_literal', `not a Python list of strings (${why} at offset ${this.#i}): ${this.#s.slice(0, 60)}`);
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
