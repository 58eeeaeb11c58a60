/**
 * `diamkit serve` with the Rf CDF wired to a store that keeps nothing: the "without the store" case of
 * bench/server.ts. Everything else is the CLI's own serve() (node, peers, codec, validation, session
 * manager, CDR building, group commit): only the database work is missing, so the difference from the
 * durable case is what the SQLite store costs.
 *
 *   node --import tsx bench/lib/serve-no-store.ts [--port 0] [--origin-host H] [--origin-realm R]
 */
import { parseArgs } from 'node:util';
import { RfApplication } from '../../src/cdf/rf-application.js';
import type { CdrStore, StoreStats } from '../../src/cdf/store.js';
import { serve } from '../../src/cli/serve.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'origin-host': { type: 'string', default: 'cdf.example.net' },
    'origin-realm': { type: 'string', default: 'example.net' },
  },
});

let sequence = 1;
let commits = 0;

/** A CdrStore whose commits succeed at once and keep nothing. */
const nullStore: CdrStore = {
  backend: 'sqlite',
  async open() {},
  async close() {},
  async commit() {
    commits++;
  },
  async getSession() {
    return undefined;
  },
  async listOpenSessions() {
    return [];
  },
  async *loadOpenSessions() {},
  async listCdrs() {
    return [];
  },
  async *exportCdrs() {},
  async countCdrs() {
    return 0;
  },
  async allocateSequence(_name: string, count: number) {
    const first = sequence;
    sequence += count;
    return first;
  },
  async stats(): Promise<StoreStats> {
    return { backend: 'sqlite', location: '(none)', openSessions: 0, closedSessions: 0, cdrs: 0, commits, rowsWritten: 0 };
  },
};

const dict = builtinDictionary();
await serve(
  { host: '127.0.0.1', port: values.port!, originHost: values['origin-host']!, originRealm: values['origin-realm']!, logLevel: 'warn', cdf: false, admin: false },
  dict,
  async (node) => {
    const rf = new RfApplication({ store: nullStore, dictionary: dict });
    await rf.start();
    node.register(rf.application());
  },
);
