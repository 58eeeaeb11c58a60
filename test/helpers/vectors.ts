/**
 * Access to the byte-exact test vectors in the shared spec folder (shared/spec/vectors/*.hex) and to the
 * tables that describe them (shared/spec/test-vectors.md). The vectors come from an independent
 * implementation (Erlang/OTP diameter), so they are the expected bytes for codec tests.
 *
 * The spec folder is found at `../shared/spec` relative to the repository root (in a session the repo is
 * /work/main and the spec /work/shared/spec; CI clones elsewhere with shared/ beside the clone), or at
 * $DIAMKIT_SPEC_DIR when set.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Vector {
  /** File name without `.hex`, e.g. "05-acr-start". */
  name: string;
  /** Lowercase hex exactly as stored. */
  hex: string;
  bytes: Uint8Array;
}

/** One row of a vector's AVP table in test-vectors.md. */
export interface VectorAvpRow {
  /** Byte offset of the AVP header inside the message. */
  offset: number;
  /** 0 for a top-level AVP, 1 for a child of a Grouped AVP, and so on. */
  depth: number;
  /** The name the spec uses (Wireshark may spell a few differently). */
  name: string;
  code: number;
  flags: number;
  /** The AVP Length field (header + data, without padding). */
  length: number;
  /** Undefined when the V bit is clear. */
  vendorId?: number;
  pad: number;
  /** The Value column as written: quoted strings keep their quotes, "(grouped)" for Grouped AVPs. */
  value: string;
}

/** What test-vectors.md says about one vector: its header fields and its AVPs in wire order. */
export interface VectorTable {
  name: string;
  length: number;
  flags: number;
  commandCode: number;
  applicationId: number;
  hopByHop: number;
  endToEnd: number;
  avps: VectorAvpRow[];
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared spec folder (holds base-protocol.md, test-vectors.md, vectors/). */
export function specDir(): string {
  const dir = process.env.DIAMKIT_SPEC_DIR ?? join(REPO_ROOT, '..', 'shared', 'spec');
  if (!existsSync(join(dir, 'vectors'))) {
    throw new Error(
      `spec folder not found at ${dir} (expected ../shared/spec beside the repo; set DIAMKIT_SPEC_DIR)`,
    );
  }
  return dir;
}

function hexToBytes(hex: string, file: string): Uint8Array {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) {
    throw new Error(`${file}: expected non-empty lowercase hex with an even number of digits`);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Every vectors/*.hex, sorted by file name. */
export function loadVectors(): Vector[] {
  const dir = join(specDir(), 'vectors');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((file) => {
      const hex = readFileSync(join(dir, file), 'utf8').trim();
      return { name: file.slice(0, -'.hex'.length), hex, bytes: hexToBytes(hex, file) };
    });
}

/** One vector by name ("05-acr-start"); throws if absent. */
export function loadVector(name: string): Vector {
  const v = loadVectors().find((x) => x.name === name);
  if (!v) throw new Error(`no vector named ${name} in ${join(specDir(), 'vectors')}`);
  return v;
}

const HEADER_RE =
  /^Header: `[0-9a-f]+` — Version=1, Length=(\d+), Flags=0x([0-9a-f]{2}) \([^)]*\), Command-Code=(\d+) \([^)]*\), Application-Id=(\d+), Hop-by-Hop=0x([0-9a-f]{8}), End-to-End=0x([0-9a-f]{8})$/;

function parseAvpRow(line: string): VectorAvpRow | undefined {
  const cells = line.split('|').map((c) => c.trim());
  // "| Off | AVP header | AVP | Code | Flags | Len | Vendor | Pad | Value |" → 11 cells with the empty ends.
  if (cells.length < 11 || !/^\d+$/.test(cells[1]!)) return undefined;
  // Nesting is drawn as two spaces per level before "└ " (after the cell's own leading space).
  const nested = /^ *(?=└)/.exec(line.split('|')[3]!.slice(1));
  const value = cells.slice(9, -1).join('|');
  return {
    offset: Number(cells[1]),
    depth: nested ? nested[0].length / 2 : 0,
    name: cells[3]!.replace(/^└ /, ''),
    code: Number(cells[4]),
    flags: parseInt(cells[5]!.slice(2, 4), 16),
    length: Number(cells[6]),
    ...(cells[7] === '' ? {} : { vendorId: Number(cells[7]) }),
    pad: Number(cells[8]),
    value,
  };
}

/** Parses the per-vector sections of test-vectors.md, keyed by vector name. */
export function loadVectorTables(): Map<string, VectorTable> {
  const text = readFileSync(join(specDir(), 'test-vectors.md'), 'utf8');
  const tables = new Map<string, VectorTable>();
  let current: VectorTable | undefined;
  for (const line of text.split('\n')) {
    const section = /^### (\d\d-[a-z0-9-]+): /.exec(line);
    if (section) {
      current = {
        name: section[1]!,
        length: NaN,
        flags: NaN,
        commandCode: NaN,
        applicationId: NaN,
        hopByHop: NaN,
        endToEnd: NaN,
        avps: [],
      };
      tables.set(current.name, current);
      continue;
    }
    if (line.startsWith('#')) {
      current = undefined;
      continue;
    }
    if (!current) continue;
    const h = HEADER_RE.exec(line);
    if (h) {
      current.length = Number(h[1]);
      current.flags = parseInt(h[2]!, 16);
      current.commandCode = Number(h[3]);
      current.applicationId = Number(h[4]);
      current.hopByHop = parseInt(h[5]!, 16);
      current.endToEnd = parseInt(h[6]!, 16);
      continue;
    }
    const row = line.startsWith('| ') ? parseAvpRow(line) : undefined;
    if (row) current.avps.push(row);
  }
  for (const t of tables.values()) {
    if (Number.isNaN(t.length) || t.avps.length === 0) {
      throw new Error(`test-vectors.md: section ${t.name} has no parsable Header line or AVP table`);
    }
  }
  return tables;
}
