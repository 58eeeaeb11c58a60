/**
 * `diamkit decode` and `diamkit encode` as a user runs them: a child process, hex or raw bytes in, the
 * JSON/YAML/text form out, and back. Bad input prints ONE line naming what and where, exit status 2.
 * Expected values are the hand-written fixtures and the vectors made by Erlang/OTP diameter.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { loadVectorTables, loadVectors, specDir } from '../helpers/vectors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const vectors = loadVectors();
const tables = loadVectorTables();
const vectorFile = (name: string) => join(specDir(), 'vectors', `${name}.hex`);
const tmp = mkdtempSync(join(tmpdir(), 'diamkit-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source (node --import tsx src/cli/main.ts ...), feeding `input` on stdin. */
function cli(args: string[], input?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.end(input ?? '');
  });
}

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'vectors', `${name}.json`), 'utf8'));
}

function ok(r: Run, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '', what);
}

/** Exit status 2, nothing on stdout, exactly one line on stderr (no stack trace); returns that line. */
function oneLineError(r: Run): string {
  assert.equal(r.code, 2, `expected exit status 2, got ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.ok(!/\bat .*:\d+:\d+/.test(lines[0]!), `no stack trace: ${lines[0]}`);
  return lines[0]!;
}

describe('decode --format json | encode - gives back the same hex', { concurrency: 2 }, () => {
  for (const v of vectors) {
    test(v.name, async () => {
      const dec = await cli(['decode', vectorFile(v.name), '--format', 'json']);
      ok(dec, 'decode');
      assert.deepEqual(JSON.parse(dec.stdout), fixture(v.name));
      const enc = await cli(['encode', '-'], dec.stdout);
      ok(enc, 'encode');
      assert.equal(enc.stdout.trim(), v.hex);
    });
  }
});

describe('other formats and inputs', { concurrency: 2 }, () => {
  test('--format yaml is the same form, and encode reads it', async () => {
    const name = '05-acr-start';
    const dec = await cli(['decode', vectorFile(name), '--format', 'yaml']);
    ok(dec, 'decode');
    assert.deepEqual(YAML.parse(dec.stdout), fixture(name));
    assert.throws(() => JSON.parse(dec.stdout)); // really YAML, not JSON
    const enc = await cli(['encode', '-'], dec.stdout);
    ok(enc, 'encode');
    assert.equal(enc.stdout.trim(), vectors.find((v) => v.name === name)!.hex);
  });

  test('--format text: a header line, then one line per AVP indented by depth', async () => {
    const name = '11-acr-stop-pgw';
    const r = await cli(['decode', vectorFile(name), '--format', 'text']);
    ok(r, 'decode');
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    const rows = tables.get(name)!.avps;
    assert.equal(lines.length, 1 + rows.length);
    assert.match(lines[0]!, /\bACR\b/);
    assert.match(lines[0]!, /\b271\b/);
    assert.match(lines[0]!, /0x5c6d0010/);
    const indentOf = (line: string) => /^ */.exec(line)![0].length;
    const base = indentOf(lines[1]!);
    const unit = indentOf(lines[1 + rows.findIndex((x) => x.depth === 1)]!) - base;
    assert.ok(unit > 0, 'children are indented');
    rows.forEach((row, i) => {
      const line = lines[i + 1]!;
      assert.ok(line.trimStart().startsWith(`${row.name} (${row.code}`), `${line} names ${row.name}`);
      assert.equal(indentOf(line), base + unit * row.depth, line);
    });
    assert.ok(r.stdout.includes('GTPSGW'), 'enumerated values by name');
    assert.ok(r.stdout.includes('2024-01-01T00:10:00Z'), 'times in ISO form');
  });

  test('--raw reads binary input', async () => {
    const v = vectors.find((x) => x.name === '02-cea')!;
    const file = join(tmp, 'cea.bin');
    writeFileSync(file, v.bytes);
    const r = await cli(['decode', '--raw', file]);
    ok(r, 'decode --raw');
    assert.deepEqual(JSON.parse(r.stdout), fixture('02-cea'));
    const fromStdin = await cli(['decode', '--raw', '-'], Buffer.from(v.bytes));
    ok(fromStdin, 'decode --raw -');
    assert.deepEqual(JSON.parse(fromStdin.stdout), fixture('02-cea'));
  });

  test('hex with whitespace and line breaks (as the tables print it) is accepted', async () => {
    const v = vectors.find((x) => x.name === '03-dwr')!;
    const spaced = v.hex.replace(/(..)/g, '$1 ').replace(/((?:.. ){16})/g, '$1\n');
    const r = await cli(['decode', '-'], spaced);
    ok(r, 'decode');
    assert.deepEqual(JSON.parse(r.stdout), fixture('03-dwr'));
  });
});

describe('bad input: one line naming what and where, exit status 2', { concurrency: 2 }, () => {
  const dwr = vectors.find((v) => v.name === '03-dwr')!;

  test('not hex', async () => {
    const line = oneLineError(await cli(['decode', '-'], `${dwr.hex.slice(0, 10)}zz${dwr.hex.slice(12)}`));
    assert.match(line, /not hex/);
    assert.match(line, /"z"/);
    assert.match(line, /offset 10\b/);
  });

  test('odd number of hex digits', async () => {
    const line = oneLineError(await cli(['decode', '-'], dwr.hex.slice(0, -1)));
    assert.match(line, /odd/);
  });

  test('truncated message', async () => {
    const line = oneLineError(await cli(['decode', '-'], dwr.hex.slice(0, 60 * 2)));
    assert.match(line, /Message Length 76 for 60 octets/);
    assert.match(line, /5015/);
  });

  test('truncated header', async () => {
    const line = oneLineError(await cli(['decode', '-'], dwr.hex.slice(0, 10 * 2)));
    assert.match(line, /HEADER_TRUNCATED/);
    assert.match(line, /5015/);
  });

  test('AVP overrunning the message names the AVP and its offset', async () => {
    // Origin-Realm (offset 44) announcing 0x93 = 147 octets in a 76-octet message.
    const bad = dwr.hex.replace('0000012840000013', '0000012840000093');
    assert.notEqual(bad, dwr.hex);
    const line = oneLineError(await cli(['decode', '-'], bad));
    assert.match(line, /AVP_OVERRUN/);
    assert.match(line, /Origin-Realm/);
    assert.match(line, /offset 44\b/);
    assert.match(line, /5014/);
  });

  test('AVP overrunning its Grouped parent names the path', async () => {
    const acr = vectors.find((v) => v.name === '05-acr-start')!;
    // Subscription-Id-Data (offset 252, length 0x1d) made to claim 0x2d: it overruns its parent
    // Subscription-Id (232..284), though not the message (536).
    const bad = acr.hex.replace('000001bc4000001d', '000001bc4000002d');
    assert.notEqual(bad, acr.hex);
    const line = oneLineError(await cli(['decode', '-'], bad));
    assert.match(line, /Service-Information\/Subscription-Id\/Subscription-Id-Data/);
    assert.match(line, /offset 252\b/);
  });

  test('a missing file', async () => {
    const line = oneLineError(await cli(['decode', join(tmp, 'no-such-file.hex')]));
    assert.match(line, /no-such-file\.hex/);
  });

  test('an unknown --format', async () => {
    const line = oneLineError(await cli(['decode', vectorFile('03-dwr'), '--format', 'xml']));
    assert.match(line, /xml/);
  });

  test('encode: not JSON or YAML', async () => {
    const line = oneLineError(await cli(['encode', '-'], '{ "command": "DWR", avps: [ '));
    assert.match(line, /not JSON or YAML/);
  });

  test('encode: an unknown AVP name, with its path', async () => {
    const line = oneLineError(
      await cli(
        ['encode', '-'],
        JSON.stringify({ command: 'DWR', avps: [{ 'Origin-Host': 'a' }, { 'Origin-Hots': 'b' }] }),
      ),
    );
    assert.match(line, /Origin-Hots/);
    assert.match(line, /avps\[1\]/);
  });

  test('encode: a bad value deep in a Grouped AVP, with its path', async () => {
    const msg = {
      command: 'ACR',
      avps: [{ 'Service-Information': [{ 'Subscription-Id': [{ 'Subscription-Id-Type': 'BOGUS' }] }] }],
    };
    const line = oneLineError(await cli(['encode', '-'], JSON.stringify(msg)));
    assert.match(line, /Service-Information\[0\]\/Subscription-Id\[0\]\/Subscription-Id-Type/);
    assert.match(line, /BOGUS/);
  });
});
