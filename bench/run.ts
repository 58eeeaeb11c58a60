/**
 * `npm run bench`: runs every benchmark module (or those named with --only), prints each one's table,
 * notes and PASS/FAIL lines. Exits non-zero on a FAIL only with --check (CI does not run benchmarks:
 * two shared cores make them too noisy to gate a merge on).
 *
 * A new benchmark is a module exporting a BenchModule (bench/lib/report.ts), added to BENCHES below.
 */
import { parseArgs } from 'node:util';
import { codecBench } from './codec.js';
import { loadgenBench } from './loadgen.js';
import { serverBench } from './server.js';
import { formatCheck, formatTable, passed, type BenchModule, type BenchOptions } from './lib/report.js';

const BENCHES: BenchModule[] = [codecBench, loadgenBench, serverBench];

const USAGE = `usage: npm run bench -- [options]
  --only <name>       run only this benchmark (repeatable, or comma-separated)
  --check             exit 1 if any requirement FAILs
  --sample-ms <n>     length of one timed sample (default 1000)
  --warmup-ms <n>     warm-up per case before sampling (default 300)
  --repeats <n>       samples per case; the median is reported (default 5)
  --help

benchmarks:
${BENCHES.map((b) => `  ${b.name.padEnd(18)}  ${b.description}`).join('\n')}`;

function positiveInt(name: string, s: string | undefined, fallback: number): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got "${s}"`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      check: { type: 'boolean', default: false },
      'sample-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      repeats: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const opts: BenchOptions = {
    sampleMs: positiveInt('sample-ms', values['sample-ms'], 1000),
    warmupMs: positiveInt('warmup-ms', values['warmup-ms'], 300),
    repeats: positiveInt('repeats', values.repeats, 5),
  };
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const name of only) {
    if (!BENCHES.some((b) => b.name === name)) {
      console.error(`unknown benchmark "${name}"\n\n${USAGE}`);
      return 2;
    }
  }
  const selected = only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;

  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  let failed = 0;
  for (const b of selected) {
    const report = await b.run(opts);
    console.log(`\n== ${report.title}\n`);
    console.log(formatTable(report.table));
    if (report.notes.length) console.log(`\n${report.notes.map((n) => `- ${n}`).join('\n')}`);
    if (report.checks.length) console.log(`\n${report.checks.map(formatCheck).join('\n')}`);
    failed += report.checks.filter((c) => !passed(c)).length;
  }
  if (failed)
    console.log(
      `\n${failed} requirement(s) not met${values.check ? '' : ' (exit 0: run with --check to fail)'}`,
    );
  return values.check && failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
