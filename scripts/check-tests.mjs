#!/usr/bin/env node
// Security suites cannot be skipped: a test that is skipped, focused or left to do — statically
// (.skip / .only / .todo, xit, { skip: true }) or on a condition (.skipIf / .runIf, a context's
// skip()) — fails the check, and so does a test declared under a condition (`if (pgUrl) { it(…) }`,
// `cond && it(…)`, `cond ? it(…) : …`), which silently leaves it out of some runs. A test that needs
// something the machine lacks fails, saying what; tests that need a PostgreSQL server or a browser
// are suites of their own (test/postgres, test/e2e), run or loudly skipped as a whole by `npm test`.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const roots = ["test", "src"];
const rules = [
  // it.skip, describe.only, test.todo, it.concurrent.skip, describe.skipIf(…), it.runIf(…), bench.skip …
  [/\b(it|test|describe|suite|bench)(\.\w+)*\.(skip|only|todo|skipIf|runIf)\b/, "skipped, focused or conditional test"],
  [/\bx(it|describe|test)\s*\(/, "skipped test (x-prefix)"],
  [/\b(ctx|context|t|task)\.skip\s*\(/, "test skipped at run time"],
  [/[{,]\s*(skip|todo|only)\s*:\s*(true|!|[A-Za-z_(])/, "test option that skips or focuses"],
];
const bad = [];

// The names vitest exports that declare tests or groups of them; a file imports them (no globals).
const DECLARERS = new Set(["it", "test", "describe", "suite", "bench"]);

/**
 * Tests declared under a condition, found in the file's syntax tree: a call of a declarer imported
 * from vitest (or of one made from it, as `test.extend(…)` makes; names are resolved through their
 * scopes, so a local `test` is not mistaken for vitest's) that sits, within the function or file
 * that declares it, in an if/else, a switch, a ?: or the right side of && || ??. Loops that declare
 * a test per case are fine: they do not decide whether a test exists.
 */
function conditionalDeclarations(file, text) {
  // One file, no imports followed and no library: the binder's scopes are all this needs.
  const host = ts.createCompilerHost({});
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  host.getSourceFile = (name) => (name === file ? sf : undefined);
  const checker = ts.createProgram([file], { noResolve: true, noLib: true, types: [] }, host).getTypeChecker();
  const declarer = new Map();
  const isDeclarer = (id, depth = 0) => {
    const sym = checker.getSymbolAtLocation(id);
    const decl = sym?.declarations?.[0];
    if (!decl || depth > 5) return false;
    if (declarer.has(decl)) return declarer.get(decl);
    let yes = false;
    if (ts.isImportSpecifier(decl)) {
      const from = decl.parent.parent.parent.moduleSpecifier;
      yes = ts.isStringLiteral(from) && from.text === "vitest" && DECLARERS.has((decl.propertyName ?? decl.name).text);
    } else if (ts.isVariableDeclaration(decl) && decl.initializer) {
      const r = root(decl.initializer);
      yes = r !== undefined && isDeclarer(r, depth + 1);
    }
    declarer.set(decl, yes);
    return yes;
  };
  const found = [];
  const visit = (node) => {
    // Reported once, at the outermost call of a chain such as it.each(…)(…).
    const inner = node.parent && ts.isCallExpression(node.parent) && node.parent.expression === node;
    if (ts.isCallExpression(node) && !inner) {
      const r = root(node.expression);
      const why = r && isDeclarer(r) ? condition(node) : undefined;
      if (why) {
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        found.push(`${file}:${line + 1}: test declared under a condition (${why}): ${text.split("\n")[line].trim()}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return found;
}

/** it / it.each(…) / describe.concurrent / test.extend(…)(…): the identifier a call chain starts from. */
function root(expr) {
  for (;;) {
    if (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) || ts.isNonNullExpression(expr) || ts.isParenthesizedExpression(expr) || ts.isCallExpression(expr)) expr = expr.expression;
    else if (ts.isTaggedTemplateExpression(expr)) expr = expr.tag;
    else return ts.isIdentifier(expr) ? expr : undefined;
  }
}

/** The condition a test declaration sits in within its function (or the file), if any. */
function condition(call) {
  let child = call;
  for (let n = call.parent; n && !ts.isSourceFile(n) && !ts.isFunctionLike(n); child = n, n = n.parent) {
    if (ts.isIfStatement(n) && child !== n.expression) return "if";
    if (ts.isSwitchStatement(n) && child !== n.expression) return "switch";
    if (ts.isConditionalExpression(n) && child !== n.condition) return "?:";
    if (ts.isBinaryExpression(n) && child === n.right && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(n.operatorToken.kind)) return ts.tokenToString(n.operatorToken.kind);
  }
  return undefined;
}

function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(e.name)) {
      const text = fs.readFileSync(p, "utf8");
      text.split("\n").forEach((line, i) => {
        for (const [re, what] of rules) if (re.test(line)) bad.push(`${p}:${i + 1}: ${what}: ${line.trim()}`);
      });
      bad.push(...conditionalDeclarations(p, text));
    }
  }
}
for (const r of roots) if (fs.existsSync(r)) walk(r);
if (bad.length) {
  console.error("Skipped, focused or conditional tests are not allowed (a test that needs something missing must fail saying so):\n" + bad.join("\n"));
  process.exit(1);
}
console.log("test check: no skipped, focused or conditional tests");
