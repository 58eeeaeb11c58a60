/**
 * Connection over an in-memory Duplex: framing of a byte stream however it is split, Hop-by-Hop
 * correlation of answers (RFC 6733 §3, §6.2: unknown answers discarded and counted), per-request
 * timeouts, close and lost framing (base-protocol.md §1), malformed frames, write batching and
 * backpressure. Messages on the wire are built by hand in raw-peer.ts.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { DiameterError } from '../../src/codec/errors.js';
import { decodeMessage } from '../../src/codec/message.js';
import { FLAG_R, FLAG_T, type Message } from '../../src/codec/types.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { Connection, type ConnectionOwner } from '../../src/peer/connection.js';
import { duplexPair } from '../helpers/duplex-pair.js';
import {
  AVP,
  CMD,
  P,
  R,
  RawPeer,
  acr,
  answerTo,
  avp,
  dwr,
  message,
  parse,
  resultCode,
} from '../helpers/raw-peer.js';

const dict = builtinDictionary();

// In-memory streams hold no handle and the connection's timers are unref'd: keep the event loop alive
// while tests wait on them.
const keepAlive = setInterval(() => undefined, 1000);
after(() => clearInterval(keepAlive));

interface Recorder extends ConnectionOwner {
  messages: Message[];
  malformed: { msg: Message; err: DiameterError }[];
  framing: DiameterError[];
  closes: number;
  unknown?: Message[];
}

function recorder(withUnknown = false): Recorder {
  const r: Recorder = {
    messages: [],
    malformed: [],
    framing: [],
    closes: 0,
    onMessage: (_c, m) => void r.messages.push(m),
    onMalformed: (_c, msg, err) => void r.malformed.push({ msg, err }),
    onFramingError: (_c, err) => void r.framing.push(err),
    onClose: () => void r.closes++,
  };
  if (withUnknown) {
    r.unknown = [];
    r.onUnknownAnswer = (_c, m) => void r.unknown!.push(m);
  }
  return r;
}

function setup(opts: { withUnknown?: boolean; highWaterMark?: number; requestTimeoutMs?: number } = {}) {
  const [near, far] = duplexPair();
  const owner = recorder(opts.withUnknown);
  const conn = new Connection(near, owner, {
    resolve: dict.resolve,
    highWaterMark: opts.highWaterMark,
    requestTimeoutMs: opts.requestTimeoutMs,
  });
  return { conn, owner, near, far, raw: new RawPeer(far) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const turn = () => new Promise<void>((r) => setImmediate(r));

/** A request object for Connection.request (our encoder writes it; the far side reads it by hand). */
function dwrMessage(): Message {
  return {
    version: 1,
    flags: FLAG_R,
    commandCode: CMD.DWR,
    applicationId: 0,
    hopByHopId: 0,
    endToEndId: 42,
    avps: [
      {
        code: AVP.ORIGIN_HOST,
        flags: 0x40,
        vendorId: 0,
        type: 'DiameterIdentity',
        value: 'near.example.net',
      },
      { code: AVP.ORIGIN_REALM, flags: 0x40, vendorId: 0, type: 'DiameterIdentity', value: 'example.net' },
    ],
  };
}

describe('framing', () => {
  test('messages split one octet at a time, and several in one chunk, all arrive whole and in order', async () => {
    const { owner, far } = setup();
    const msgs = [acr({ hbh: 1, e2e: 1 }), dwr(2, 2), acr({ hbh: 3, e2e: 3, sessionId: 'x;1;2' })];
    const stream = Buffer.concat(msgs);
    for (let i = 0; i < 50; i++) far.write(stream.subarray(i, i + 1));
    far.write(stream.subarray(50));
    far.write(Buffer.concat(msgs)); // three messages in one chunk
    await turn();
    assert.deepEqual(
      owner.messages.map((m) => m.hopByHopId),
      [1, 2, 3, 1, 2, 3],
    );
    assert.equal(owner.messages[2]!.avps[0]!.value, 'x;1;2');
    assert.equal(owner.malformed.length, 0);
  });

  test('lost framing (version 2) after a good message: the good one is delivered, then the connection closes', async () => {
    const { conn, owner, far, raw } = setup();
    const bad = dwr(9, 9);
    bad[0] = 2;
    far.write(Buffer.concat([dwr(1, 1), bad]));
    await raw.expectClose(1000);
    assert.equal(owner.messages.length, 1);
    assert.equal(owner.framing.length, 1);
    assert.equal(owner.framing[0]!.code, 'FRAME_BAD_VERSION');
    assert.equal(owner.closes, 1);
    assert.equal(conn.isClosed, true);
  });

  test('a Message Length below 20 closes the connection without delivering anything', async () => {
    const { owner, far, raw } = setup();
    far.write(message({ flags: R, command: 280, hbh: 1, e2e: 1, length: 16 }, []));
    await raw.expectClose(1000);
    assert.equal(owner.messages.length, 0);
    assert.equal(owner.framing[0]!.code, 'FRAME_BAD_LENGTH');
  });

  test('a message longer than maxMessageLength closes the connection before it is buffered', async () => {
    const [near, far] = duplexPair();
    const owner = recorder();
    new Connection(near, owner, { maxMessageLength: 64 });
    const raw = new RawPeer(far);
    far.write(acr({ hbh: 1, e2e: 1 }).subarray(0, 8)); // the header says 100+ octets
    await raw.expectClose(1000);
    assert.equal(owner.framing[0]!.code, 'FRAME_TOO_LONG');
  });

  test('a frame that does not decode goes to onMalformed, read leniently (ids, Session-Id); the stream goes on', async () => {
    const { owner, far } = setup();
    const bad = acr({ hbh: 7, e2e: 8, extra: [Buffer.from('0000000140000004', 'hex')] });
    far.write(Buffer.concat([bad, dwr(9, 9)]));
    await turn();
    assert.equal(owner.malformed.length, 1);
    const { msg, err } = owner.malformed[0]!;
    assert.equal(err.resultCode, 5014);
    assert.equal(msg.hopByHopId, 7);
    assert.equal(msg.endToEndId, 8);
    assert.equal(msg.avps[0]!.code, AVP.SESSION_ID);
    assert.equal(owner.messages.length, 1, 'the DWR after it is delivered');
  });
});

describe('requests and answers', () => {
  test('each request gets its own Hop-by-Hop id; answers are matched by it, in any order', async () => {
    const { conn, raw, owner } = setup();
    const p1 = conn.request(dwrMessage());
    const p2 = conn.request(dwrMessage());
    const r1 = await raw.next();
    const r2 = await raw.next();
    assert.notEqual(r1.hbh, r2.hbh);
    assert.equal(conn.pendingCount, 2);
    raw.send(answerTo(r2));
    raw.send(answerTo(r1));
    const [a1, a2] = await Promise.all([p1, p2]);
    assert.equal(a1.hopByHopId, r1.hbh);
    assert.equal(a2.hopByHopId, r2.hbh);
    assert.equal(conn.pendingCount, 0);
    assert.equal(owner.messages.length, 0, 'matched answers do not reach the owner');
  });

  test('keepHopByHop sends the id given', async () => {
    const { conn, raw } = setup();
    const m = dwrMessage();
    m.hopByHopId = 0x12345678;
    const p = conn.request(m, { keepHopByHop: true });
    const r = await raw.next();
    assert.equal(r.hbh, 0x12345678);
    raw.send(answerTo(r));
    await p;
  });

  test('an answer with an unknown Hop-by-Hop id is discarded and counted', async () => {
    const { conn, raw, owner } = setup();
    raw.send(answerTo(parse(dwr(0x99, 0x99))));
    await turn();
    assert.equal(conn.stats.unknownAnswers, 1);
    assert.equal(owner.messages.length, 0);
  });

  test('an owner with onUnknownAnswer is shown unknown answers, which are still discarded and counted', async () => {
    const { conn, raw, owner } = setup({ withUnknown: true });
    raw.send(answerTo(parse(dwr(0x98, 0x98))));
    await turn();
    assert.equal(owner.unknown!.length, 1);
    assert.equal(owner.unknown![0]!.hopByHopId, 0x98);
    assert.equal(conn.stats.unknownAnswers, 1, 'counted all the same');
    assert.equal(owner.messages.length, 0);
  });

  test('no answer in time: REQUEST_TIMEOUT naming the request’s own timeout; a late answer is discarded', async () => {
    const { conn, raw } = setup({ requestTimeoutMs: 60_000 });
    const t0 = Date.now();
    const p = conn.request(dwrMessage(), { timeoutMs: 80 });
    const r = await raw.next();
    await assert.rejects(p, (e: DiameterError) => {
      assert.equal(e.code, 'REQUEST_TIMEOUT');
      assert.match(e.message, /within 80 ms/);
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took >= 75 && took < 1000, `timed out after ${took} ms`);
    assert.equal(conn.stats.timeouts, 1);
    raw.send(answerTo(r));
    await turn();
    assert.equal(conn.stats.unknownAnswers, 1);
  });

  test('the connection closing fails pending requests with CONNECTION_CLOSED; later requests fail at once', async () => {
    const { conn, raw, owner } = setup();
    const p = conn.request(dwrMessage());
    await raw.next();
    raw.destroy();
    await assert.rejects(p, (e: DiameterError) => e.code === 'CONNECTION_CLOSED');
    assert.equal(owner.closes, 1);
    await assert.rejects(conn.request(dwrMessage()), (e: DiameterError) => e.code === 'CONNECTION_CLOSED');
  });

  test('takePending marks pending requests with the T flag for failover (RFC 6733 §5.5.4)', async () => {
    const { conn, raw } = setup();
    void conn.request(dwrMessage()).catch(() => undefined);
    await raw.next();
    const taken = conn.takePending();
    assert.equal(taken.length, 1);
    assert.equal(taken[0]!.flags & FLAG_T, FLAG_T);
    conn.destroy();
  });
});

describe('writing', () => {
  test('answers written while handling one chunk leave in one write', async () => {
    const [near, far] = duplexPair();
    const owner: ConnectionOwner = {
      onMessage: (c, m) => {
        c.write(answerTo(parse(Buffer.from(m.raw!))));
      },
      onMalformed() {},
      onClose() {},
    };
    new Connection(near, owner, { resolve: dict.resolve });
    const raw = new RawPeer(far);
    far.write(Buffer.concat([dwr(1, 1), dwr(2, 2), dwr(3, 3)]));
    const got = [await raw.next(), await raw.next(), await raw.next()];
    assert.deepEqual(
      got.map((m) => m.hbh),
      [1, 2, 3],
    );
    assert.deepEqual(got.map(resultCode), [2001, 2001, 2001]);
    assert.equal(near.writes.length, 1, 'one write for three answers');
  });

  test('backpressure: a peer that does not read stops being read; reading resumes on drain', async () => {
    // A transport whose writes complete only when released (a peer that does not read its answers).
    const held: (() => void)[] = [];
    const slow = new Duplex({
      read() {},
      write(_chunk, _enc, cb) {
        held.push(cb);
      },
    });
    const conn = new Connection(slow, recorder(), { highWaterMark: 1000 });
    const big = message({ flags: P, command: 271, appId: 3, hbh: 1, e2e: 1 }, [
      avp(AVP.SESSION_ID, 'x'.repeat(2000)),
    ]);
    for (let i = 0; i < 20; i++) conn.write(big);
    await turn();
    assert.equal(slow.isPaused(), true, 'reading paused');
    while (held.length) held.shift()!();
    await turn();
    await sleep(5);
    while (held.length) held.shift()!();
    await turn();
    assert.equal(slow.isPaused(), false, 'reading resumed after drain');
    conn.destroy();
  });

  test('octets handed to the stream are never rewritten, across turns, new slabs and big messages', async () => {
    // A transport that keeps every chunk it is given, by reference, as a socket with queued writes does.
    const chunks: Buffer[] = [];
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    const conn = new Connection(sink, recorder());
    const expected: Buffer[] = [];
    for (let t = 0; t < 4; t++) {
      // Many mid-sized messages in one turn (more than one output slab) ...
      for (let i = 0; i < 30; i++) {
        const m = message({ flags: P, command: 271, appId: 3, hbh: t * 100 + i, e2e: i }, [
          avp(AVP.SESSION_ID, String.fromCharCode(97 + ((t + i) % 26)).repeat(2900 + i)),
        ]);
        conn.write(m);
        expected.push(m);
      }
      // ... and one bigger than a slab, encoded by the connection itself (from its decoded form).
      const raw = message({ flags: P, command: 271, appId: 3, hbh: 1000 + t, e2e: t }, [
        avp(AVP.SESSION_ID, String.fromCharCode(48 + t).repeat(40_000 + t)),
      ]);
      const bytes = conn.sendMessageBytes(decodeMessage(raw));
      expected.push(raw);
      assert.equal(bytes.toString('hex'), raw.toString('hex'), 'sendMessageBytes returns what it sent');
      await turn();
    }
    assert.equal(chunks.length, 4, 'one write per turn');
    assert.equal(Buffer.concat(chunks).toString('hex'), Buffer.concat(expected).toString('hex'));
    conn.destroy();
  });

  test('close() ends the stream gracefully: what was written arrives first', async () => {
    const { conn, raw, owner } = setup();
    conn.write(dwr(5, 5));
    conn.close();
    const m = await raw.next();
    assert.equal(m.hbh, 5);
    await raw.expectClose(1000);
    await sleep(5);
    assert.equal(owner.closes, 1);
  });
});
