/**
 * SQLite's WAL checkpoints, mostly off the event loop. A checkpoint copies the pages the WAL holds into the
 * database file. Run by the writing connection (SQLite's automatic checkpoint, every ~40 MB of WAL) it
 * happens inside a commit, which better-sqlite3 makes synchronously: the whole server stopped for 50–90 ms
 * and every request in flight waited (the durable server's p99, docs/perf.md).
 *
 * Here a second connection, in a worker thread, runs a PASSIVE checkpoint every `intervalMs`: it copies
 * what is in the WAL without taking any lock a writer needs, so commits go on meanwhile. The writer's own
 * automatic checkpoint stays: it finds nearly everything copied already, so its pause is short, and it is
 * what lets the WAL start over from its beginning (SQLite rewinds the WAL only once a checkpoint has caught
 * up with the last commit, which under steady load the writer's own does). Should the worker fail, the
 * writer's checkpoints are as before.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Runs in the worker: CommonJS, given the driver's resolved path (a worker has no TypeScript loader). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone: the writer's own checkpoints still run.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  readonly #worker: Worker;
  #stopped: Promise<void> | undefined;
  /** Settles when the worker has exited, whether asked to or not (an error in it ends it too). */
  readonly #exited: Promise<void>;

  /** Starts checkpointing the database file `path` (already in WAL mode) every `intervalMs`. */
  constructor(path: string, intervalMs: number) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    // A failed worker only means the writer checkpoints alone, as it would without one.
    this.#worker.on('error', () => undefined);
    this.#exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.unref();
  }

  /** Stops the worker and closes its connection (before the writer closes the database). */
  stop(): Promise<void> {
    this.#stopped ??= (() => {
      // Unreferenced while it runs (it must not keep a process alive); referenced while it stops, so the
      // process waits for its exit. A worker that already ended (it failed) has nothing to stop.
      this.#worker.ref();
      this.#worker.postMessage('stop');
      // A worker stuck in a checkpoint is ended after a while rather than holding up close().
      const stuck = setTimeout(() => void this.#worker.terminate(), 2000);
      stuck.unref();
      return this.#exited.finally(() => clearTimeout(stuck));
    })();
    return this.#stopped;
  }
}
