/**
 * Every MedprobeError a user can cause says how to fix it: each `new MedprobeError(...)` under
 * src/ passes a `hint`, except the internal invariants listed below, which no input can reach.
 * A new error without a hint fails this test; so does an allow-list entry that no longer matches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** file → fragment of the message source; each is an invariant, with the reason it cannot be reached. */
const INVARIANTS: { file: string; message: string; why: string }[] = [
  { file: 'src/engine/autodiff/backward.ts', message: 'must be a scalar', why: "the loss is medprobe's own head, a scalar" },
  { file: 'src/engine/autodiff/backward.ts', message: 'does not depend on any trainable tensor', why: 'the head weights are always trainable and feed the loss' },
  { file: 'src/engine/autodiff/fold.ts', message: 'is not an initializer of the model', why: 'the trainable tensors are picked from the initializers' },
  { file: 'src/protocols/finetune/index.ts', message: 'this runner passed only features', why: "the runner gives images to every 'images' protocol" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

interface Site {
  where: string;
  file: string;
  message: string;
  hint: 'yes' | 'no' | 'empty';
}

function sites(): Site[] {
  const out: Site[] = [];
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('new MedprobeError(')) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && node.expression.getText(sf) === 'MedprobeError') {
        const opts = node.arguments?.[1];
        let hint: Site['hint'] = 'no';
        if (opts && ts.isObjectLiteralExpression(opts)) {
          const prop = opts.properties.find((p) => p.name?.getText(sf) === 'hint');
          const spread = opts.properties.some(ts.isSpreadAssignment);
          if (prop && ts.isPropertyAssignment(prop) && ts.isStringLiteralLike(prop.initializer) && !prop.initializer.text.trim()) hint = 'empty';
          else if (prop || spread) hint = 'yes';
        } else if (opts) hint = 'yes'; // options passed through from a variable: the hint is the caller's
        const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        out.push({ where: `${file}:${line}`, file: file.split(path.sep).join('/'), message: node.arguments?.[0]?.getText(sf) ?? '', hint });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

test('every user-facing MedprobeError under src/ has a hint; invariants are listed', () => {
  const all = sites();
  assert.ok(all.length > 300, `found only ${all.length} MedprobeError sites; is the scan reading src/?`);
  const allowed = (s: Site) => INVARIANTS.some((a) => a.file === s.file && s.message.includes(a.message));
  const missing = all.filter((s) => s.hint !== 'yes' && !allowed(s)).map((s) => `${s.where}: ${s.message.slice(0, 100)}`);
  assert.deepEqual(missing, [], 'give these a hint that says the fix (or list a true invariant in INVARIANTS)');
  for (const a of INVARIANTS) {
    const hit = all.filter((s) => s.file === a.file && s.message.includes(a.message));
    assert.equal(hit.length, 1, `INVARIANTS entry ${a.file} '${a.message}' matches ${hit.length} sites`);
    assert.equal(hit[0].hint, 'no', `${a.file} '${a.message}' has a hint now; drop it from INVARIANTS`);
  }
});
