/**
 * The floor of any durable store on this machine: what it costs to do nothing but append each ACR's octets
 * to SQLite, in the store's own settings (WAL, synchronous=NORMAL, 32 KB pages), grouped as group commit
 * groups them. No grammar check, no session state, no CDR: a server that framed, answered and journalled
 * each ACR would cost at least `serve --no-cdf` plus this. The server benchmark prints it beside the
 * 0.4× budget (issue 4) so that each run shows how much of the budget is left for the CDF itself.
 *
 * Measured in this process with process.cpuUsage (this thread only: no checkpoint worker, so the WAL's
 * automatic checkpoints run inside the commits and are counted). Median of several rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface JournalFloorOptions {
  /** The octets appended per ACR (the bench's ACR). */
  acr: Uint8Array;
  /** Rows per transaction (default 128: a group commit's batch under the bench's load). */
  perCommit?: number;
  /** Transactions per round (default 400). */
  commits?: number;
  /** Rounds; the median is reported (default 7). */
  rounds?: number;
}

export interface JournalFloor {
  /** Median CPU µs per appended ACR. */
  medianMicros: number;
  /** Every round's figure, ascending. */
  roundsMicros: number[];
}

export function measureJournalFloor(options: JournalFloorOptions): JournalFloor {
  const perCommit = options.perCommit ?? 128;
  const commits = options.commits ?? 400;
  const rounds = options.rounds ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'diamkit-bench-floor-'));
  const db = new Database(join(dir, 'journal.db'));
  try {
    // The settings SqliteStore uses (src/cdf/sqlite-store.ts), so the floor is the store's, not a tuned one.
    db.pragma('page_size = 32768');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE journal (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, acr BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO journal (session_id, acr) VALUES (?, ?)');
    const acr = Buffer.from(options.acr);
    let next = 0;
    const commit = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) insert.run(`cdf.example.net;1;${String(next++).padStart(10, '0')}`, acr);
    });
    for (let i = 0; i < commits / 2; i++) commit(perCommit); // warm-up: JIT, file growth
    const roundsMicros: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const before = process.cpuUsage();
      for (let i = 0; i < commits; i++) commit(perCommit);
      const used = process.cpuUsage(before);
      roundsMicros.push((used.user + used.system) / (commits * perCommit));
    }
    roundsMicros.sort((a, b) => a - b);
    return { medianMicros: roundsMicros[Math.floor(rounds / 2)]!, roundsMicros };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
