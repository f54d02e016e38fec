// Writes the bad-input corpus (test/reliability/bad-inputs.ts) into a folder:
//   npm run fixtures:bad-inputs -- [dir] [--check]
// Default dir: test/.fixtures/bad-inputs (git-ignored); never a data folder of the user's.
// --check also runs (--only=a,b / --skip=a,b: cases whose name holds one of the substrings) every case through the CLI in-process and prints the outcome table that
// docs/results/reliability.md records.
import path from 'node:path';
import { writeBadInputs } from '../test/reliability/bad-inputs.js';
import { judgeCase, type Verdict } from '../test/reliability/judge.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const skip = args.find((a) => a.startsWith('--skip='))?.slice('--skip='.length).split(',');
const out = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'test', '.fixtures', 'bad-inputs'));

const cases = await writeBadInputs(out);
console.log(`wrote ${cases.length} bad-input cases under ${out} (cases.json lists them)`);
if (check) {
  process.env.MEDPROBE_QUIET = '1';
  const verdicts: Verdict[] = [];
  for (const c of cases) {
    if ((only && !only.some((o) => c.name.includes(o))) || skip?.some((o) => c.name.includes(o))) continue;
    const v = await judgeCase(out, c);
    verdicts.push(v);
    const line = v.line.replace(/^medprobe: error: /, '').replaceAll(out, '…').replaceAll('|', '\\|');
    console.log(`| ${c.name} | ${c.what} | ${v.code} | ${v.outcome}${v.problems.length ? `: ${v.problems.join('; ')}` : ''} | ${line} |`);
  }
  const count = (o: Verdict['outcome']) => verdicts.filter((v) => v.outcome === o).length;
  console.log(`\ncases ${verdicts.length}, clean errors ${count('clean error')}, unclear ${count('unclear')}, crashes ${count('crash')}, silent ${count('silent')}`);
}
