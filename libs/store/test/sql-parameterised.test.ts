// Every SQL call in services/ and libs/ sends values as parameters ($1, $2, ...), never inside
// the SQL text: a scan of the sources with the TypeScript parser. For each `.query(` and
// `.execute(` call the first argument must be static SQL: a string literal, a template without
// substitutions, or a top-level const of the same file that is static SQL itself. A `${...}`
// substitution is allowed only for the identifiers listed in ALLOWED_SUBSTITUTIONS (each a
// top-level const holding static SQL, checked here too), and a first argument that is neither
// (a variable) only where ALLOWED_DYNAMIC says why.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `${NAME}` in SQL text: compile-time constant column lists. file -> name -> reason. */
const ALLOWED_SUBSTITUTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'libs/store/src/outcomes.ts': {
    COLUMNS: 'constant column list shared by the INSERT and its VALUES alias',
    UNNEST: 'constant unnest(...) of the typed parameter arrays, shared by INSERT and REPLACE',
    SUMS: 'constant aggregate list (with a %SQ% placeholder filled by a literal), shared by two upserts',
    ADD_SUMS: 'constant SET list shared by two upserts',
    ALL_SEGMENTS: "the constant segment name '*' (a string literal of this file) written as a SQL literal",
    CHANGES: 'constant CTE (signed changes from the typed parameter arrays) shared by the two statistics upserts',
  },
  'libs/store/src/feedback.ts': { COLUMNS: 'constant column list shared by two SELECTs' },
  'libs/store/src/jobs.ts': { JOB_COLUMNS: 'constant column list shared by the job queries (also prefixed with j. by a literal map)' },
};

/** First arguments that are not static SQL at the call: file -> source text of the argument -> reason. */
const ALLOWED_DYNAMIC: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'libs/store/src/migrate.ts': {
    'file.sql': 'the text of a migration file from libs/store/migrations (checked by sha256), run as the admin role',
    sql: 'parameter of the private query() helper; every caller passes static SQL (checked below)',
  },
  'libs/executor-kit/src/executor.ts': { batch: 'not SQL: the executor callback named execute() receives a routed batch' },
};

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

type Consts = ReadonlyMap<string, ts.Expression>;

function topLevelConsts(sf: ts.SourceFile): Consts {
  const out = new Map<string, ts.Expression>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || (st.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    for (const d of st.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer !== undefined) out.set(d.name.text, d.initializer);
    }
  }
  return out;
}

/** Identifiers an expression reads, leaving out property names and its own arrow-function parameters. */
function freeIdentifiers(e: ts.Expression): string[] {
  const bound = new Set<string>();
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      for (const p of n.parameters) if (ts.isIdentifier(p.name)) bound.add(p.name.text);
    }
    if (ts.isPropertyAccessExpression(n)) {
      visit(n.expression);
      return;
    }
    if (ts.isIdentifier(n) && !bound.has(n.text)) {
      const parent = n.parent;
      const isParam = parent !== undefined && ts.isParameter(parent) && parent.name === n;
      if (!isParam) out.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(e);
  return [...out];
}

/** Why `e` is not static SQL, or null when it is. */
function staticProblem(e: ts.Expression, consts: Consts, allowedNames: Readonly<Record<string, string>>, seen: Set<string>): string | null {
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) return staticProblem(e.expression, consts, allowedNames, seen);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return null;
  if (ts.isTemplateExpression(e)) {
    for (const span of e.templateSpans) {
      const x = span.expression;
      // Allowed: expressions over allow-listed constants only (`${COLUMNS}`,
      // `${SUMS.replace('%SQ%', '')}`, `${COLS.split(',').map((c) => c.trim()).join()}`).
      const names = freeIdentifiers(x);
      const stray = names.filter((n) => allowedNames[n] === undefined);
      if (names.length === 0 || stray.length > 0) return `\${${x.getText().slice(0, 80)}} interpolated into SQL text`;
      for (const name of names) {
        const init = consts.get(name);
        if (init === undefined) return `\${${name}} is allowed only as a top-level const of this file`;
        if (seen.has(name)) continue;
        seen.add(name);
        const inner = staticProblem(init, consts, allowedNames, seen);
        if (inner !== null) return `\${${name}}: ${inner}`;
      }
    }
    return null;
  }
  if (ts.isIdentifier(e)) {
    const init = consts.get(e.text);
    if (init === undefined) return `${e.text} is not a top-level const of this file`;
    if (seen.has(e.text)) return null;
    seen.add(e.text);
    return staticProblem(init, consts, allowedNames, seen);
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return 'SQL built by string concatenation';
  return `SQL text built by ${ts.SyntaxKind[e.kind]}`;
}

/** Scans one source text; `file` is its path relative to the repository root. */
export function scanSource(file: string, text: string): Finding[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const consts = topLevelConsts(sf);
  const allowedNames = ALLOWED_SUBSTITUTIONS[file] ?? {};
  const allowedDynamic = ALLOWED_DYNAMIC[file] ?? {};
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['query', 'execute'].includes(node.expression.name.text)) {
      const arg = node.arguments[0];
      if (arg !== undefined && allowedDynamic[arg.getText()] === undefined) {
        const problem = staticProblem(arg, consts, allowedNames, new Set());
        if (problem !== null) findings.push({ file, line: sf.getLineAndCharacterOfPosition(arg.getStart()).line + 1, problem });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'test') walk(p);
      } else if (entry.name.endsWith('.ts')) {
        out.push(relative(ROOT, p).split('\\').join('/'));
      }
    }
  };
  for (const top of ['libs', 'services']) {
    for (const pkg of readdirSync(join(ROOT, top), { withFileTypes: true })) {
      if (pkg.isDirectory()) walk(join(ROOT, top, pkg.name));
    }
  }
  return out.sort();
}

describe('SQL is parameterised', () => {
  const files = sourceFiles();

  it('finds the SQL call sites it is meant to check', () => {
    const withQueries = files.filter((f) => /\.query\s*[<(]/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(withQueries).toEqual(expect.arrayContaining(['libs/store/src/decisions.ts', 'libs/store/src/outcomes.ts', 'libs/store/src/jobs.ts']));
  });

  it('libs/store owns every SQL statement: no library or service outside it sends a query', () => {
    const withQueries = files.filter((f) => /\.query\s*[<(]/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(withQueries.filter((f) => !f.startsWith('libs/store/'))).toEqual([]);
  });

  it('no .query( / .execute( call in services/ or libs/ interpolates values into SQL text', () => {
    const findings = files.flatMap((f) => scanSource(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(findings).toEqual([]);
  });

  it('every allow-list entry is still used (a stale entry could hide a new call)', () => {
    for (const [file, names] of Object.entries(ALLOWED_SUBSTITUTIONS)) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const name of Object.keys(names)) expect(text, `${file}: ${name}`).toMatch(new RegExp(`\\$\\{${name}\\b`));
    }
    for (const [file, args] of Object.entries(ALLOWED_DYNAMIC)) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const arg of Object.keys(args)) expect(text, `${file}: ${arg}`).toMatch(new RegExp(`\\.(query|execute)(<[^>]*>)?\\(${arg.replace('.', '\\.')}[,)]`));
    }
  });

  it('the private query() helper of migrate.ts is only called with static SQL', () => {
    const text = readFileSync(join(ROOT, 'libs/store/src/migrate.ts'), 'utf8');
    const sf = ts.createSourceFile('migrate.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const consts = topLevelConsts(sf);
    const bad: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'query') {
        const sql = node.arguments[1];
        if (sql === undefined || staticProblem(sql, consts, {}, new Set()) !== null) bad.push(node.getText().slice(0, 80));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    expect(bad).toEqual([]);
  });

  describe('self-check: the scan flags what it must', () => {
    it.each([
      ['a value in a template', 'async function f(db, id) { await db.query(`SELECT * FROM t WHERE id = ${id}`); }'],
      ['a property in a template', "async function f(db, r) { await db.query(`DELETE FROM t WHERE tenant = '${r.tenant}'`, []); }"],
      ['concatenation', "async function f(db, id) { await db.query('SELECT * FROM t WHERE id = ' + id); }"],
      ['a const built from a value', 'const now = Date.now(); const SQL = `SELECT ${now}`; async function f(db) { await db.query(SQL); }'],
      ['a local variable', 'async function f(db, id) { const sql = `SELECT ${id}`; await db.query(sql); }'],
      ['execute with a call', 'async function f(db, t) { await db.execute(build(t)); }'],
      ['an allowed name that is not a const', 'async function f(db, COLUMNS) { await db.query(`SELECT ${COLUMNS} FROM t`); }'],
      ['an allowed constant mixed with a value', "const COLUMNS = 'a'; async function f(db, x) { await db.query(`SELECT ${COLUMNS.replace('a', x)} FROM t`); }"],
    ])('%s', (_name, snippet) => {
      expect(scanSource('libs/store/src/outcomes.ts', snippet).length).toBe(1);
    });

    it.each([
      ['parameters', 'async function f(db, id) { await db.query(`SELECT * FROM t WHERE id = $1`, [id]); }'],
      ['a static const', "const SQL = 'SELECT 1'; async function f(db) { await db.query(SQL); }"],
      ['an allowed constant column list', "const COLUMNS = 'a, b'; const SQL = `SELECT ${COLUMNS} FROM t`; async function f(db) { await db.query(SQL, []); }"],
      ['a transformed constant', "const COLUMNS = 'a, b'; async function f(db) { await db.query(`SELECT ${COLUMNS.split(',').map((c) => `t.${c.trim()}`).join(', ')} FROM t`); }"],
    ])('passes %s', (_name, snippet) => {
      expect(scanSource('libs/store/src/outcomes.ts', snippet)).toEqual([]);
    });
  });
});
