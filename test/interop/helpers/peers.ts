/**
 * Starting and stopping the real peers of the interop tests (shared/DESIGN.md, "Real peers for tests"):
 * `diamkit serve` as a child process, freeDiameterd in a private network namespace, Erlang/OTP diameter
 * escripts, and a packet capture around a test. Every child is tracked so that a test can stop all it
 * started, and every wait is bounded in time.
 *
 * freeDiameter 1.2.1 ignores loopback addresses in `ListenOn` and refuses to start unless it finds a
 * non-loopback address on a non-loopback interface (libfdcore server.c / cnxctx.c). So it runs in a
 * network namespace of its own (`unshare -n`) holding `lo` and one veth pair carrying a documentation
 * address (RFC 5737 TEST-NET-1): it then listens on 0.0.0.0 *inside* that namespace only, and the
 * other programs of the test join the same namespace with `nsenter` and talk to it over 127.0.0.1.
 * The veth pair has no end outside the namespace, so nothing leaves it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FLAG_P, FLAG_R, type Message } from '../../../src/codec/types.js';
import { App, Cmd, Code } from '../../../src/dictionary/codes.js';
import { i32Avp, u32Avp, utf8Avp } from '../../../src/node/identity.js';
import { tsharkDecode, tsharkFields, type TsharkDecode } from './tshark.js';

const run = promisify(execFile);

/** The repository root (src/cli/main.ts lives under it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Keep at most this much of a child's output (a chatty peer cannot grow the test's memory). */
const MAX_OUTPUT = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// temporary directories

const tempDirs: string[] = [];

/** A fresh directory under the OS temp dir, removed by `cleanupTempDirs`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `diamkit-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------
// child processes

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process whose stdout and stderr are kept (bounded) so that a test can wait for a line and
 * print everything when it fails.
 */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (s: string) => {
      if (this.stdout.length < MAX_OUTPUT) this.stdout += s;
      this.notify();
    });
    proc.stderr?.on('data', (s: string) => {
      if (this.stderr.length < MAX_OUTPUT) this.stderr += s;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        this.stderr += `\n[spawn error: ${err.message}]`;
        this.exitStatus ??= { code: null, signal: null };
        this.notify();
        resolve(this.exitStatus);
      });
      // 'close' (not 'exit'): stdout and stderr are fully read by then.
      proc.once('close', (code, signal) => {
        this.exitStatus ??= { code, signal };
        this.notify();
        resolve(this.exitStatus);
      });
    });
    children.add(this);
    void this.exited.then(() => children.delete(this));
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} did not start: ${this.stderr}`);
    return this.proc.pid;
  }

  get output(): string {
    return `${this.stdout}${this.stderr ? `\n--- stderr ---\n${this.stderr}` : ''}`;
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  /**
   * Resolves with the first match of `re` in stdout+stderr (searching what was already printed too);
   * rejects after `timeoutMs` or when the process exits without printing it.
   */
  waitFor(re: RegExp, timeoutMs: number, what = re.source): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.stdout.match(re) ?? this.stderr.match(re);
        if (m) {
          done();
          resolve(m);
          return true;
        }
        if (this.exitStatus) {
          done();
          reject(
            new Error(
              `${this.name} exited (${describeExit(this.exitStatus)}) before printing ${what}\n${this.output}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms\n${this.output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      const watcher = () => void check();
      if (!check()) this.watchers.add(watcher);
    });
  }

  /** Sends `signal`; if the process is still there after `graceMs`, SIGKILL. Resolves with its exit status. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function describeExit(s: ExitStatus): string {
  return s.signal ? `signal ${s.signal}` : `code ${s.code}`;
}

const children = new Set<Child>();

/** Stops every child still running (SIGTERM, then SIGKILL after a short grace). For `after` hooks. */
export async function stopAllChildren(graceMs = 3000): Promise<void> {
  await Promise.all([...children].map((c) => c.stop('SIGTERM', graceMs)));
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (see `Netns`). */
  netns?: Netns;
  /** Give the child a stdin pipe (closed with `child.proc.stdin.end()`); default: /dev/null. */
  stdinPipe?: boolean;
}

export function spawnChild(name: string, command: string, args: string[], opts: SpawnOptions = {}): Child {
  const [cmd, argv] = opts.netns ? opts.netns.wrap(command, args) : [command, args];
  const proc = spawn(cmd, argv, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: [opts.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  return new Child(name, proc);
}

// ---------------------------------------------------------------------------------------------------
// network namespace

/** RFC 5737 TEST-NET-1: a documentation address, given to freeDiameter so that it has a local endpoint. */
export const NETNS_ADDRESS = '192.0.2.1';

/**
 * A private network namespace kept alive by a `sleep` holder process; other programs join it with
 * `nsenter -t PID -n` (nsenter execs the program, so its pid is the program's pid).
 */
export class Netns {
  private constructor(readonly holder: Child) {}

  static async create(): Promise<Netns> {
    const script = [
      'set -e',
      'ip link set lo up',
      // Both ends stay in the namespace: an address for freeDiameter's CER, and no route out.
      'ip link add dk0 type veth peer name dk1',
      `ip addr add ${NETNS_ADDRESS}/32 dev dk0`,
      'ip link set dk0 up',
      'ip link set dk1 up',
      'echo netns-ready',
      // Bounded: the namespace goes away at the latest when this ends.
      'exec sleep 600',
    ].join('\n');
    const holder = spawnChild('netns', 'unshare', ['-n', 'sh', '-c', script]);
    await holder.waitFor(/netns-ready/, 10_000);
    return new Netns(holder);
  }

  get pid(): number {
    return this.holder.pid;
  }

  /** The command line that runs `command` inside this namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ['nsenter', ['-t', String(this.pid), '-n', '--', command, ...args]];
  }

  async close(): Promise<void> {
    await this.holder.stop('SIGKILL', 1000);
  }
}

// ---------------------------------------------------------------------------------------------------
// diamkit serve

export interface ServeOptions {
  originHost: string;
  originRealm: string;
  /** Extra command-line flags, e.g. ['--watchdog', '6', '--unsupported-command', '3001']. */
  args?: string[];
  netns?: Netns;
  /** Directory for the CDR store (a fresh temp dir by default); ignored with '--no-cdf' in args. */
  dataDir?: string;
  /** Log every message (--trace); default true. */
  trace?: boolean;
}

export interface Serve {
  child: Child;
  port: number;
  /** The pino log lines printed so far, parsed. */
  logLines(): LogLine[];
}

export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

/** Starts `diamkit serve --port 0` from the sources and waits for its "listening" line. */
export async function startServe(opts: ServeOptions): Promise<Serve> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0'];
  args.push('--origin-host', opts.originHost, '--origin-realm', opts.originRealm);
  if (opts.trace !== false) args.push('--trace');
  const extra = opts.args ?? [];
  if (!extra.includes('--no-cdf') && !extra.includes('--store')) {
    args.push('--store', join(opts.dataDir ?? makeTempDir('store'), 'cdr.db'));
  }
  args.push(...extra);
  const child = spawnChild(`diamkit serve (${opts.originHost})`, process.execPath, args, {
    netns: opts.netns,
  });
  const m = await child.waitFor(/diamkit listening on [^\s:]+:(\d+)/, 90_000, 'the "diamkit listening" line');
  return { child, port: Number(m[1]), logLines: () => parseLogLines(child.stdout) };
}

export function parseLogLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut at the output cap
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// TLS credentials (freeDiameter needs TLS_Cred even for TCP, with CN = its Identity)

export interface Credentials {
  cert: string;
  key: string;
}

/** A throwaway self-signed certificate (P-256, two days) with CN = `commonName`. */
export async function selfSignedCert(dir: string, commonName: string): Promise<Credentials> {
  const cert = join(dir, `${commonName}.cert.pem`);
  const key = join(dir, `${commonName}.key.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-days', '2', '-subj', `/CN=${commonName}`, '-keyout', key, '-out', cert);
  await run('openssl', args, { timeout: 30_000 });
  return { cert, key };
}

// ---------------------------------------------------------------------------------------------------
// freeDiameter

export interface FreeDiameterOptions {
  identity: string;
  realm: string;
  netns: Netns;
  /** TwTimer (RFC 3539 Tw), seconds, >= 6. */
  twTimer: number;
  /** Peers it connects to itself (ConnectPeer over plain TCP to 127.0.0.1). */
  connectPeers?: { identity: string; port: number }[];
  /** Peers it accepts without configuring them (acl_wl; '*.realm' allowed), over plain TCP. */
  allowPeers?: string[];
  /** Load dict_* / rt_* extensions by file name (e.g. 'dict_dcca.fdx'). */
  extensions?: string[];
}

export interface FreeDiameter {
  child: Child;
  port: number;
  confPath: string;
  /** Waits until freeDiameter logs that the peer `identity` reached STATE_OPEN. */
  waitOpen(identity: string, timeoutMs: number): Promise<void>;
}

export const FREEDIAMETER_EXTENSIONS = '/usr/lib/freeDiameter';

/** Fills `fixtures/freediameter.conf.template`. */
export function freeDiameterConf(
  o: FreeDiameterOptions,
  creds: Credentials,
  aclPath: string | undefined,
): string {
  const template = readFileSync(join(FIXTURES, 'freediameter.conf.template'), 'utf8');
  const lines: string[] = [];
  for (const e of o.extensions ?? []) lines.push(`LoadExtension = "${join(FREEDIAMETER_EXTENSIONS, e)}";`);
  if (aclPath) lines.push(`LoadExtension = "${join(FREEDIAMETER_EXTENSIONS, 'acl_wl.fdx')}" : "${aclPath}";`);
  for (const p of o.connectPeers ?? []) {
    lines.push(`ConnectPeer = "${p.identity}" { ConnectTo = "127.0.0.1"; Port = ${p.port}; No_TLS; };`);
  }
  const values: Record<string, string> = {
    IDENTITY: o.identity,
    REALM: o.realm,
    TW_TIMER: String(o.twTimer),
    TLS_CERT: creds.cert,
    TLS_KEY: creds.key,
    PEERS: lines.join('\n'),
  };
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => values[name] ?? whole);
}

/** Starts freeDiameterd in `o.netns` listening on port 3868 and waits until it is initialised. */
export async function startFreeDiameter(o: FreeDiameterOptions): Promise<FreeDiameter> {
  const dir = makeTempDir('freediameter');
  const creds = await selfSignedCert(dir, o.identity);
  let aclPath: string | undefined;
  if (o.allowPeers?.length) {
    aclPath = join(dir, 'acl_wl.conf');
    // ALLOW_IPSEC: accept the peer on the plain-TCP port without TLS (RFC 6733 §2.2 "transparent security").
    writeFileSync(aclPath, `ALLOW_IPSEC ${o.allowPeers.join(' ')}\n`);
  }
  const confPath = join(dir, 'freeDiameter.conf');
  writeFileSync(confPath, freeDiameterConf(o, creds, aclPath));
  const child = spawnChild(`freeDiameterd (${o.identity})`, 'freeDiameterd', ['-c', confPath], {
    netns: o.netns,
    cwd: dir,
  });
  await child.waitFor(/freeDiameterd daemon initialized/, 20_000);
  return {
    child,
    port: 3868,
    confPath,
    waitOpen: async (identity, timeoutMs) => {
      const re = new RegExp(`-> 'STATE_OPEN'\\s+'${escapeRegExp(identity)}'`);
      await child.waitFor(re, timeoutMs, `STATE_OPEN for ${identity}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Erlang/OTP diameter

/**
 * Runs `fixtures/NAME` with escript; `args` are handed to its main/1. Its stdin is a pipe: the server
 * escript runs until that pipe closes (`closeStdin`).
 */
export function startEscript(name: string, args: string[]): Child {
  const path = join(FIXTURES, name);
  if (!existsSync(path)) throw new Error(`no escript ${path}`);
  return spawnChild(`escript ${name}`, 'escript', [path, ...args], {
    cwd: makeTempDir('erlang'),
    stdinPipe: true,
  });
}

/** Closes a child's stdin (the Erlang server escript then stops its service and exits 0). */
export function closeStdin(c: Child): void {
  c.proc.stdin?.end();
}

/** Parses the "RESULT key value" lines an escript prints (see fixtures/*.escript). */
export function escriptResults(c: Child): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of c.stdout.split('\n')) {
    const m = /^RESULT (\S+) ?(.*)$/.exec(line.trim());
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push(m[2]!);
    out.set(m[1]!, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// capture

export interface Capture {
  file: string;
  /** Stops the capture (SIGINT, so dumpcap finishes the file) and resolves with the pcap path. */
  stop(): Promise<string>;
}

/**
 * Captures `tcp port PORT` on `lo` with dumpcap (Wireshark's capture engine, which tshark itself runs)
 * into a fresh pcap; resolves once dumpcap reports that it is capturing.
 */
export async function startCapture(port: number, opts: { netns?: Netns } = {}): Promise<Capture> {
  const file = join(makeTempDir('capture'), `port-${port}.pcap`);
  const child = spawnChild('dumpcap', 'dumpcap', ['-i', 'lo', '-f', `tcp port ${port}`, '-P', '-w', file], {
    netns: opts.netns,
  });
  await child.waitFor(/Capturing on/, 15_000, 'the "Capturing on" line');
  return {
    file,
    stop: async () => {
      // Let the last segments reach the capture before it ends.
      await new Promise((r) => setTimeout(r, 300));
      const status = await child.stop('SIGINT', 5000);
      if (status.code !== 0 && status.signal === null)
        throw new Error(`dumpcap failed (${describeExit(status)})\n${child.output}`);
      return file;
    },
  };
}

/** One Diameter message of a capture, as tshark read it. */
export interface WireMessage {
  srcPort: number;
  flags: number;
  cmd: number;
  /** Result-Code values tshark found in the message (top level and nested). */
  resultCodes: string[];
}

export interface CaptureReading {
  decode: TsharkDecode;
  messages: WireMessage[];
  /** Expert items of severity Error or Warn (tshark's "Errors (n)" / "Warns (n)"), less the allowed ones. */
  serious: string[];
}

/**
 * Expert items that say nothing about the Diameter bytes: TCP sequence analysis (retransmissions,
 * D-SACK) that a loaded loopback produces now and then.
 */
export const TRANSPORT_EXPERT = /^\w+: \d+ Sequence TCP /;

/**
 * Reads a capture with tshark (decoding TCP `port` as Diameter): the full decode with its malformed
 * count and expert report, and one row per Diameter message. The tshark runs go in parallel.
 * `allow` lists further expert items a test expects (an unknown command it sent on purpose).
 */
export async function readCapture(pcap: string, port: number, allow: RegExp[] = []): Promise<CaptureReading> {
  const [decode, rows] = await Promise.all([
    tsharkDecode(pcap, port),
    tsharkFields(pcap, port, ['tcp.srcport', 'diameter.flags', 'diameter.cmd.code', 'diameter.Result-Code']),
  ]);
  const messages: WireMessage[] = [];
  for (const [src, flags, cmds, rcs] of rows) {
    // One TCP segment may carry several messages: tshark lists each field once per message.
    (cmds ?? []).forEach((cmd, i) => {
      messages.push({
        srcPort: Number(src![0]),
        flags: Number(flags![i]),
        cmd: Number(cmd),
        resultCodes: rcs ?? [],
      });
    });
  }
  const serious = decode.expertLines.filter(
    (l) => /^(Error|Warn)/.test(l) && !TRANSPORT_EXPERT.test(l) && !allow.some((re) => re.test(l)),
  );
  return { decode, messages, serious };
}

/** Names each message "side:codeR" / "side:codeA", e.g. "us:257A", for comparing exchanges. */
export function wireSequence(
  messages: WireMessage[],
  serverPort: number,
  server: string,
  client: string,
): string[] {
  return messages.map(
    (m) => `${m.srcPort === serverPort ? server : client}:${m.cmd}${m.flags & FLAG_R ? 'R' : 'A'}`,
  );
}

/** `s` as a literal inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `cond()` is true, polling; throws `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** With DIAMKIT_INTEROP_VERBOSE set, prints a timestamped progress line (to see where a slow test waits). */
export function trace(what: string): void {
  if (process.env.DIAMKIT_INTEROP_VERBOSE) console.log(`[${new Date().toISOString().slice(11, 23)}] ${what}`);
}

// ---------------------------------------------------------------------------------------------------
// messages diamkit sends as a library user would build them

/** An ACR START (RFC 6733 §9.7.1 grammar, Rf's required AVPs) as a `Message` for `peer.request`. */
export function acrStart(f: {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  recordNumber?: number;
}): Message {
  return {
    version: 1,
    flags: FLAG_R | FLAG_P,
    commandCode: Cmd.ACCOUNTING,
    applicationId: App.BASE_ACCOUNTING,
    hopByHopId: 0,
    endToEndId: 0,
    avps: [
      utf8Avp(Code.SESSION_ID, f.sessionId),
      utf8Avp(Code.ORIGIN_HOST, f.originHost),
      utf8Avp(Code.ORIGIN_REALM, f.originRealm),
      utf8Avp(Code.DESTINATION_REALM, f.destinationRealm),
      i32Avp(Code.ACCOUNTING_RECORD_TYPE, 2), // START_RECORD
      u32Avp(Code.ACCOUNTING_RECORD_NUMBER, f.recordNumber ?? 0),
      u32Avp(Code.ACCT_APPLICATION_ID, App.BASE_ACCOUNTING),
    ],
  };
}

/** The first vendor-0 AVP `code` of `m` as a number (Unsigned32/Integer32/Enumerated), or undefined. */
export function avpNumber(m: Message, code: number): number | undefined {
  const a = m.avps.find((x) => x.code === code && x.vendorId === 0);
  if (!a) return undefined;
  if (typeof a.value === 'number') return a.value;
  return a.data && a.data.length >= 4 ? Buffer.from(a.data).readUInt32BE(0) : undefined;
}

/** Every vendor-0 AVP `code` of `m` as UTF-8 text. */
export function avpStrings(m: Message, code: number): string[] {
  return m.avps
    .filter((x) => x.code === code && x.vendorId === 0)
    .map((a) => (typeof a.value === 'string' ? a.value : a.data ? Buffer.from(a.data).toString('utf8') : ''));
}
