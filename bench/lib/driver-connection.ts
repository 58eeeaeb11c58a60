/**
 * One connection of the ACR load driver (acr-driver.ts): the pre-encoded ACR templates it patches, its
 * CER/DPR and answers to the server's DWR/DPR, the framing of what it reads, and the window of ACRs it
 * keeps in flight for the phase it runs.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeMessage } from '../../src/codec/message.js';
import type { Avp, Message } from '../../src/codec/types.js';
import { FLAG_R } from '../../src/codec/types.js';
import type { AcrDriver, Phase } from './acr-driver.js';

const CMD_CER = 257;
const CMD_ACR = 271;
const CMD_DWR = 280;
const CMD_DPR = 282;
const AVP_SESSION_ID = 263;
const AVP_ORIGIN_HOST = 264;
const AVP_RESULT_CODE = 268;
const AVP_RECORD_TYPE = 480;
const AVP_RECORD_NUMBER = 485;
/** Width of the zero-padded session number at the end of each Session-Id (patched in place). */
const SESSION_DIGITS = 10;

export const RecordType = { EVENT: 1, START: 2, INTERIM: 3, STOP: 4 } as const;
export type Step = (typeof RecordType)[keyof typeof RecordType];

interface Template {
  bytes: Buffer;
  /** Offset of the first session digit. */
  digitsAt: number;
  /** Offset of the Accounting-Record-Number value. */
  numberAt: number;
}

function u32(b: Buffer, o: number): number {
  return b.readUInt32BE(o);
}

/** Offset of the data of the first top-level AVP with this code (vendor 0), or -1. */
function findAvpData(msg: Buffer, code: number): number {
  let o = 20;
  const end = msg.length;
  while (o + 8 <= end) {
    const c = u32(msg, o);
    const flags = msg[o + 4]!;
    const len = (msg[o + 5]! << 16) | (msg[o + 6]! << 8) | msg[o + 7]!;
    const hdr = flags & 0x80 ? 12 : 8;
    if (len < hdr) return -1;
    if (c === code && !(flags & 0x80)) return o + hdr;
    o += (len + 3) & ~3;
  }
  return -1;
}

function textAvp(code: number, value: string): Avp {
  return { code, flags: 0x40, vendorId: 0, type: 'UTF8String', value };
}

function u32Avp(code: number, value: number, flags = 0x40): Avp {
  return { code, flags, vendorId: 0, type: 'Unsigned32', value };
}

/** One pre-encoded ACR per step, for one Origin-Host. */
function acrTemplate(base: Message, originHost: string, recordType: Step): Template {
  const sidPrefix = `${originHost};1700000000;`;
  const sid = sidPrefix + '0'.repeat(SESSION_DIGITS);
  const avps = base.avps.map((a): Avp => {
    if (a.vendorId !== 0) return a;
    if (a.code === AVP_SESSION_ID) return textAvp(AVP_SESSION_ID, sid);
    if (a.code === AVP_ORIGIN_HOST)
      return { ...textAvp(AVP_ORIGIN_HOST, originHost), type: 'DiameterIdentity' };
    if (a.code === AVP_RECORD_TYPE) return { ...u32Avp(AVP_RECORD_TYPE, recordType), type: 'Enumerated' };
    if (a.code === AVP_RECORD_NUMBER) return u32Avp(AVP_RECORD_NUMBER, 0);
    return a;
  });
  const bytes = encodeMessage({ ...base, flags: base.flags | FLAG_R, avps, raw: undefined });
  const sidAt = findAvpData(bytes, AVP_SESSION_ID);
  const numberAt = findAvpData(bytes, AVP_RECORD_NUMBER);
  if (sidAt < 0 || numberAt < 0) throw new Error('ACR template lacks Session-Id or Accounting-Record-Number');
  return { bytes, digitsAt: sidAt + Buffer.byteLength(sidPrefix), numberAt };
}

/** A base-protocol request of this connection (application 0; the Hop-by-Hop id doubles as End-to-End). */
function request(commandCode: number, hbh: number, avps: Avp[]): Buffer {
  return encodeMessage({ version: 1, flags: FLAG_R, commandCode, applicationId: 0, hopByHopId: hbh, endToEndId: hbh, avps });
}

function cer(originHost: string, realm: string, hbh: number): Buffer {
  return request(CMD_CER, hbh, [
    { ...textAvp(264, originHost), type: 'DiameterIdentity' },
    { ...textAvp(296, realm), type: 'DiameterIdentity' },
    { code: 257, flags: 0x40, vendorId: 0, type: 'Address', value: '127.0.0.1' },
    u32Avp(266, 0),
    { code: 269, flags: 0, vendorId: 0, type: 'UTF8String', value: 'diamkit-bench' },
    u32Avp(265, 10415),
    u32Avp(259, 3),
  ]);
}

/** An answer to the server's DWR or DPR: R cleared, ids copied, Result-Code 2001. */
function simpleAnswer(req: Buffer, originHost: string, realm: string): Buffer {
  return encodeMessage({
    version: 1,
    flags: 0,
    commandCode: (req[5]! << 16) | (req[6]! << 8) | req[7]!,
    applicationId: u32(req, 8),
    hopByHopId: u32(req, 12),
    endToEndId: u32(req, 16),
    avps: [
      u32Avp(AVP_RESULT_CODE, 2001),
      { ...textAvp(264, originHost), type: 'DiameterIdentity' },
      { ...textAvp(296, realm), type: 'DiameterIdentity' },
    ],
  });
}

function dpr(originHost: string, realm: string, hbh: number): Buffer {
  return request(CMD_DPR, hbh, [
    { ...textAvp(264, originHost), type: 'DiameterIdentity' },
    { ...textAvp(296, realm), type: 'DiameterIdentity' },
    u32Avp(273, 0),
  ]);
}

/** Result-Code of an answer frame (0 when it has none). */
function resultCode(frame: Buffer): number {
  const at = findAvpData(frame, AVP_RESULT_CODE);
  return at < 0 ? 0 : u32(frame, at);
}

/** Minimal stream framer: complete frames as views, the rest kept. */
class Frames {
  private rest: Buffer | undefined;
  push(chunk: Buffer, each: (frame: Buffer) => void): void {
    let b = chunk;
    if (this.rest) {
      b = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let o = 0;
    while (b.length - o >= 4) {
      const len = (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
      if (b[o] !== 1 || len < 20) throw new Error(`driver lost framing (version ${b[o]}, length ${len})`);
      if (b.length - o < len) break;
      each(b.subarray(o, o + len));
      o += len;
    }
    if (o < b.length) this.rest = Buffer.from(b.subarray(o));
  }
}

interface Running {
  phase: Phase;
  steps: readonly Step[];
  group: number;
  /** Message index space: ceil(sessions / group) × group × steps. */
  total: number;
  next: number;
  inFlight: number;
  sent: number;
  answered: number;
  done: () => void;
}

export class DriverConnection {
  readonly socket: net.Socket;
  readonly originHost: string;
  private readonly frames = new Frames();
  private readonly templates = new Map<Step, Template>();
  private hbh = 1;
  private readonly sentAt: Float64Array;
  private readonly mask: number;
  private run: Running | undefined;
  private waiters = new Map<number, (frame: Buffer) => void>();
  closed = false;

  constructor(
    readonly index: number,
    readonly driver: AcrDriver,
    socket: net.Socket,
  ) {
    this.socket = socket;
    this.originHost = `${index}.${driver.hostSuffix}`;
    for (const step of [RecordType.START, RecordType.INTERIM, RecordType.STOP, RecordType.EVENT] as Step[]) {
      this.templates.set(step, acrTemplate(driver.opts.acr, this.originHost, step));
    }
    let size = 1;
    while (size < driver.opts.window * 2) size <<= 1;
    this.sentAt = new Float64Array(size);
    this.mask = size - 1;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', (e) => driver.fail(e));
  }

  /** Sends a non-ACR request and resolves with its answer frame. */
  private exchange(bytes: Buffer, timeoutMs: number): Promise<Buffer> {
    const hbh = u32(bytes, 12);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.delete(hbh);
        reject(
          new Error(
            `${this.originHost}: no answer to command ${(bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.waiters.set(hbh, (f) => {
        clearTimeout(t);
        resolve(f);
      });
      this.socket.write(bytes);
    });
  }

  async capabilities(): Promise<void> {
    const hbh = 0x7f000000 + this.index;
    const cea = await this.exchange(cer(this.originHost, this.driver.realm, hbh), 10_000);
    const rc = resultCode(cea);
    if (rc !== 2001) throw new Error(`${this.originHost}: CEA Result-Code ${rc}`);
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    try {
      await this.exchange(dpr(this.originHost, this.driver.realm, 0x7e000000 + this.index), 3000);
    } catch {
      // a server that does not answer DPR is closed anyway
    }
    this.socket.destroy();
  }

  start(phase: Phase, done: () => void): void {
    const group = Math.max(1, Math.min(phase.group ?? 1000, phase.sessions));
    this.run = {
      phase,
      steps: phase.steps,
      group,
      total: Math.ceil(phase.sessions / group) * group * phase.steps.length,
      next: 0,
      inFlight: 0,
      sent: 0,
      answered: 0,
      done,
    };
    if (phase.sessions === 0) {
      done();
      return;
    }
    this.fill();
  }

  /** Sends requests until the window is full or the phase has sent everything: one write. */
  private fill(): void {
    const r = this.run!;
    const room = this.driver.opts.window - r.inFlight;
    if (room <= 0) return;
    const batch: Buffer[] = [];
    const ts = performance.now();
    let count = 0;
    const sessions = r.phase.sessions;
    const nSteps = r.steps.length;
    const perGroup = r.group * nSteps;
    while (count < room && r.next < r.total) {
      const m = r.next++;
      const g = Math.floor(m / perGroup);
      const within = m - g * perGroup;
      const stepIdx = Math.floor(within / r.group);
      const slot = within - stepIdx * r.group;
      const session = g * r.group + slot;
      if (session >= sessions) continue;
      const t = this.templates.get(r.steps[stepIdx]!)!;
      const b = Buffer.allocUnsafe(t.bytes.length);
      t.bytes.copy(b);
      const hbh = this.hbh++ >>> 0;
      b.writeUInt32BE(hbh, 12);
      b.writeUInt32BE(hbh, 16);
      let n = session + (r.phase.sessionOffset ?? 0);
      for (let i = SESSION_DIGITS - 1; i >= 0; i--) {
        b[t.digitsAt + i] = 0x30 + (n % 10);
        n = Math.floor(n / 10);
      }
      b.writeUInt32BE((r.phase.firstRecordNumber ?? 0) + stepIdx, t.numberAt);
      this.sentAt[hbh & this.mask] = ts;
      batch.push(b);
      count++;
    }
    if (count === 0) return;
    r.inFlight += count;
    r.sent += count;
    this.driver.noteSent(count);
    this.socket.write(count === 1 ? batch[0]! : Buffer.concat(batch));
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    let acas = 0;
    this.frames.push(chunk, (f) => {
      const flags = f[4]!;
      const cmd = (f[5]! << 16) | (f[6]! << 8) | f[7]!;
      if (flags & FLAG_R) {
        // The server's DWR (RFC 3539) or DPR: answer it, or it will give up on us.
        if (cmd === CMD_DWR || cmd === CMD_DPR)
          this.socket.write(simpleAnswer(f, this.originHost, this.driver.realm));
        return;
      }
      const hbh = u32(f, 12);
      const waiter = this.waiters.get(hbh);
      if (waiter) {
        this.waiters.delete(hbh);
        waiter(f);
        return;
      }
      if (cmd !== CMD_ACR || !this.run) return;
      const rc = resultCode(f);
      if (rc !== 2001) this.driver.noteError(rc);
      this.driver.noteLatency(now - this.sentAt[hbh & this.mask]!);
      acas++;
    });
    if (acas === 0 || !this.run) return;
    const r = this.run;
    r.inFlight -= acas;
    r.answered += acas;
    this.driver.noteAnswered(acas);
    this.fill();
    // After fill: the last sessions of a phase may be skipped (fewer than a whole group), so the phase can
    // end with nothing more sent.
    if (r.answered >= r.sent && r.next >= r.total) {
      this.run = undefined;
      r.done();
    }
  }
}
