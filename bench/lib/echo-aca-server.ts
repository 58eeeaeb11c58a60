/**
 * The load benchmark's server (bench/loadgen.ts): the least work that still answers ACRs correctly, so
 * that the load generators, not the server, are what the benchmark compares. Capabilities exchange,
 * DWR and DPR go through the project's codec (src/codec, src/node/answers.ts, src/peer/capabilities.ts);
 * an ACR is answered with an ACA assembled from octets: the request's Session-Id, Accounting-Record-Type
 * and Accounting-Record-Number AVPs copied as they are, Result-Code 2001, Origin-Host, Origin-Realm and
 * Acct-Application-Id 3 encoded once (RFC 6733 §9.7.2, the ACA grammar and order). The answers to one
 * socket read leave in one write. Nothing is stored: this is not the CDF.
 *
 *   node --import tsx bench/lib/echo-aca-server.ts [--port 0] [--origin-host H] [--origin-realm R]
 *
 * Prints "echo-aca listening on 127.0.0.1:PORT"; exits on SIGTERM or SIGINT.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { encodeAvp } from '../../src/codec/avp.js';
import { Framer } from '../../src/codec/framer.js';
import { decodeMessage, encodeMessage } from '../../src/codec/message.js';
import { AVP_V, FLAG_P, FLAG_R, type Avp } from '../../src/codec/types.js';
import { Writer } from '../../src/codec/writer.js';
import { App, Cmd, Code, VENDOR_3GPP } from '../../src/dictionary/codes.js';
import { buildAnswer, buildErrorAnswer } from '../../src/node/answers.js';
import { DEFAULT_IDENTITY, IdentityAvps, originStateAvps, u32Avp } from '../../src/node/identity.js';
import { capabilityAvps } from '../../src/peer/capabilities.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'origin-host': { type: 'string', default: 'echo-aca.localdomain' },
    'origin-realm': { type: 'string', default: 'localdomain' },
  },
});

const identity = new IdentityAvps({
  ...DEFAULT_IDENTITY,
  originHost: values['origin-host']!,
  originRealm: values['origin-realm']!,
  productName: 'diamkit echo-aca',
});
const APPS = { auth: [], acct: [App.BASE_ACCOUNTING], vendorSpecific: [], supportedVendors: [VENDOR_3GPP] };

function encodedAvp(a: Avp): Buffer {
  const w = new Writer(64);
  encodeAvp(w, a);
  return Buffer.from(w.finish());
}
/** Result-Code 2001, Origin-Host, Origin-Realm: right after Session-Id. */
const AFTER_SESSION = Buffer.concat([
  encodedAvp(u32Avp(Code.RESULT_CODE, 2001)),
  encodedAvp(identity.originHost),
  encodedAvp(identity.originRealm),
]);
const ACCT_APP = encodedAvp(u32Avp(Code.ACCT_APPLICATION_ID, App.BASE_ACCOUNTING));

const SLAB = 1 << 20;

function serveConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  const framer = new Framer();
  let out = Buffer.allocUnsafe(SLAB);
  let start = 0;
  let pos = 0;
  let closing = false;

  const room = (n: number) => {
    if (pos + n <= out.length) return;
    if (pos > start) socket.write(out.subarray(start, pos));
    out = Buffer.allocUnsafe(Math.max(SLAB, n));
    start = pos = 0;
  };
  const put = (b: Uint8Array) => {
    room(b.length);
    out.set(b, pos);
    pos += b.length;
  };
  const flush = () => {
    if (pos === start) return;
    socket.write(out.subarray(start, pos));
    start = pos;
    if (out.length - pos < 65536) {
      out = Buffer.allocUnsafe(SLAB);
      start = pos = 0;
    }
  };

  const answerAcr = (f: Buffer) => {
    const end = f.length;
    let sid = -1;
    let sidLen = 0;
    let rt = -1;
    let rn = -1;
    for (let o = 20; o + 8 <= end;) {
      const code = f.readUInt32BE(o);
      const len = (f[o + 5]! << 16) | (f[o + 6]! << 8) | f[o + 7]!;
      if (len < 8 || o + len > end) break;
      const padded = (len + 3) & ~3;
      if ((f[o + 4]! & AVP_V) === 0) {
        if (code === Code.SESSION_ID) {
          sid = o;
          sidLen = padded;
        } else if (code === Code.ACCOUNTING_RECORD_TYPE) rt = o;
        else if (code === Code.ACCOUNTING_RECORD_NUMBER) rn = o;
      }
      o += padded;
    }
    const len =
      20 +
      (sid >= 0 ? sidLen : 0) +
      AFTER_SESSION.length +
      (rt >= 0 ? 12 : 0) +
      (rn >= 0 ? 12 : 0) +
      ACCT_APP.length;
    room(len);
    const b = out;
    const p = pos;
    b[p] = 1;
    b[p + 1] = len >>> 16;
    b[p + 2] = (len >>> 8) & 0xff;
    b[p + 3] = len & 0xff;
    b[p + 4] = f[4]! & FLAG_P;
    f.copy(b, p + 5, 5, 20); // command code, Application-Id, Hop-by-Hop, End-to-End
    let q = p + 20;
    if (sid >= 0) q += f.copy(b, q, sid, sid + sidLen);
    b.set(AFTER_SESSION, q);
    q += AFTER_SESSION.length;
    if (rt >= 0) q += f.copy(b, q, rt, rt + 12);
    if (rn >= 0) q += f.copy(b, q, rn, rn + 12);
    b.set(ACCT_APP, q);
    pos = q + ACCT_APP.length;
  };

  const answerControl = (f: Buffer) => {
    const req = decodeMessage(f);
    switch (req.commandCode) {
      case Cmd.CAPABILITIES_EXCHANGE: {
        const local = socket.localAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
        put(
          encodeMessage(buildAnswer(req, identity, 2001, { avps: capabilityAvps(identity, [local], APPS) })),
        );
        break;
      }
      case Cmd.DEVICE_WATCHDOG:
        put(encodeMessage(buildAnswer(req, identity, 2001, { avps: originStateAvps(identity) })));
        break;
      case Cmd.DISCONNECT_PEER:
        put(encodeMessage(buildAnswer(req, identity, 2001)));
        closing = true;
        break;
      default:
        put(encodeMessage(buildErrorAnswer(req, identity, 3001)));
    }
  };

  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = framer.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const f of frames) {
      if ((f[4]! & FLAG_R) === 0) continue; // answers (to nothing we sent): dropped
      const cmd = (f[5]! << 16) | (f[6]! << 8) | f[7]!;
      if (cmd === Cmd.ACCOUNTING) answerAcr(f);
      else answerControl(f);
    }
    flush();
    // RFC 6733 §5.4: the DPR's sender closes; end our side once the DPA is written.
    if (closing) socket.end();
  });
  socket.on('error', () => socket.destroy());
}

const server = net.createServer(serveConnection);
server.listen(Number(values.port), '127.0.0.1', () => {
  const a = server.address() as net.AddressInfo;
  process.stdout.write(`echo-aca listening on 127.0.0.1:${a.port}\n`);
});
const stop = () => {
  server.close();
  setTimeout(() => process.exit(0), 100).unref();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
