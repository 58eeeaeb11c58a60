import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Watchdog } from '../../src/peer/watchdog.js';
import type { WatchdogOptions } from '../../src/peer/watchdog.js';
import { dateClock, systemClock } from '../../src/peer/timers.js';
import type { Clock } from '../../src/peer/timers.js';

// Fake time: node:test's mock timers fake setTimeout and Date; dateClock reads both at call time.
// Node 20's tick(n) moves the clock to the end of the tick before running the timers due in it, so the
// tests tick to the exact instants they check.

const TW = 30_000;

function setup(opts: Partial<WatchdogOptions> = {}) {
  const log: string[] = [];
  const note = (what: string) => () => void log.push(`${what}@${Date.now()}`);
  const wd = new Watchdog({
    twInitMs: TW,
    random: () => 0.5, // no jitter
    clock: dateClock,
    sendWatchdog: note('DWR'),
    closeConnection: note('close'),
    failover: note('failover'),
    failback: note('failback'),
    attemptOpen: note('open'),
    stateChange: (from, to) => void log.push(`${from}->${to}@${Date.now()}`),
    ...opts,
  });
  /** The log entries since the last call. */
  let seen = 0;
  const fresh = () => {
    const out = log.slice(seen);
    seen = log.length;
    return out;
  };
  return { wd, log, fresh };
}

const tick = (ms: number) => mock.timers.tick(ms);
/** `n` ticks of one Tw each: a timer firing inside one long tick would see the tick's end as "now". */
const tws = (n: number) => {
  for (let i = 0; i < n; i++) tick(TW);
};

/** Brings a watchdog to DOWN the RFC way: up, one unanswered DWR, SUSPECT, DOWN (t = 3 Tw). */
function toDown(s: ReturnType<typeof setup>) {
  s.wd.connectionUp();
  tws(3);
  assert.equal(s.wd.state, 'DOWN');
  s.fresh();
}

describe('Watchdog (RFC 3539 §3.4)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  describe('TwInit', () => {
    it('defaults to 30 s', () => {
      const wd = new Watchdog({ sendWatchdog() {}, closeConnection() {} });
      assert.equal(wd.twInitMs, 30_000);
    });

    it('refuses less than 6 s with a RangeError that says why', () => {
      for (const bad of [5_999, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(
          () => new Watchdog({ twInitMs: bad, sendWatchdog() {}, closeConnection() {} }),
          (e: unknown) => {
            assert.ok(e instanceof RangeError);
            assert.match(e.message, /6000/);
            assert.match(e.message, /RFC 3539/);
            return true;
          },
        );
      }
      assert.equal(
        new Watchdog({ twInitMs: 6_000, sendWatchdog() {}, closeConnection() {} }).twInitMs,
        6_000,
      );
    });
  });

  describe('OKAY', () => {
    it('starts INITIAL and goes OKAY on the first connection, without validation', () => {
      const s = setup();
      assert.equal(s.wd.state, 'INITIAL');
      tick(5 * TW);
      assert.deepEqual(s.fresh(), [], 'nothing happens before the first connection');
      s.wd.connectionUp();
      assert.equal(s.wd.state, 'OKAY');
      assert.deepEqual(s.fresh(), ['INITIAL->OKAY@150000']);
    });

    it('sends a DWR after Tw of silence, and only one while it is unanswered', () => {
      const s = setup();
      s.wd.connectionUp();
      s.fresh();
      tick(TW - 1);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), [`DWR@${TW}`]);
      assert.equal(s.wd.pending, true);
    });

    it('any received message postpones the DWR to Tw after it', () => {
      const s = setup();
      s.wd.connectionUp();
      s.fresh();
      tick(20_000);
      assert.equal(s.wd.messageReceived(), true);
      tick(TW - 1); // t = 49 999
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['DWR@50000']);
    });

    it('steady traffic means no DWR at all', () => {
      const s = setup();
      s.wd.connectionUp();
      s.fresh();
      for (let i = 0; i < 40; i++) {
        tick(10_000);
        s.wd.messageReceived();
      }
      assert.deepEqual(s.fresh(), []);
      tick(10_000);
      tick(10_000);
      assert.deepEqual(s.fresh(), []);
      tick(10_000);
      assert.deepEqual(s.fresh(), ['DWR@430000']);
    });

    it('a DWA clears Pending and counts as traffic', () => {
      const s = setup();
      s.wd.connectionUp();
      tick(TW);
      tick(1_000);
      s.wd.dwaReceived(); // DWR at 30 000, DWA at 31 000: next DWR at 61 000
      assert.equal(s.wd.pending, false);
      assert.equal(s.wd.state, 'OKAY');
      s.fresh();
      tick(TW - 1);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['DWR@61000']);
    });

    it('a DWA at the DWR moment: the next DWR is Tw later, Tw after the DWA', () => {
      const s = setup();
      s.wd.connectionUp();
      tick(TW);
      s.wd.dwaReceived();
      s.fresh();
      tick(TW);
      assert.deepEqual(s.fresh(), ['DWR@60000']);
    });

    it('works with a peer that answers inside sendWatchdog', () => {
      let sent = 0;
      const wd: Watchdog = new Watchdog({
        twInitMs: TW,
        random: () => 0.5,
        clock: dateClock,
        sendWatchdog: () => {
          sent++;
          wd.dwaReceived();
        },
        closeConnection: () => assert.fail('closed'),
        failover: () => assert.fail('failover'),
      });
      wd.connectionUp();
      for (let i = 0; i < 10; i++) tick(TW);
      assert.equal(sent, 10);
      assert.equal(wd.state, 'OKAY');
      assert.equal(wd.pending, false);
    });
  });

  describe('SUSPECT and DOWN', () => {
    it('an unanswered DWR fails over one Tw later, and closes after another', () => {
      const s = setup();
      s.wd.connectionUp();
      s.fresh();
      tick(TW);
      assert.deepEqual(s.fresh(), ['DWR@30000']);
      tick(TW - 1);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['OKAY->SUSPECT@60000', 'failover@60000']);
      assert.equal(s.wd.state, 'SUSPECT');
      tick(TW - 1);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['SUSPECT->DOWN@90000', 'close@90000']);
      assert.equal(s.wd.state, 'DOWN');
    });

    it('SUSPECT: a DWA fails back to OKAY', () => {
      const s = setup();
      s.wd.connectionUp();
      tws(2);
      s.fresh();
      s.wd.dwaReceived();
      assert.deepEqual(s.fresh(), ['SUSPECT->OKAY@60000', 'failback@60000']);
      assert.equal(s.wd.pending, false);
      tick(TW);
      assert.deepEqual(s.fresh(), ['DWR@90000'], 'Tw restarted at the DWA');
    });

    it('SUSPECT: any message fails back to OKAY and is delivered', () => {
      const s = setup();
      s.wd.connectionUp();
      tws(2);
      s.fresh();
      assert.equal(s.wd.messageReceived(), true);
      assert.deepEqual(s.fresh(), ['SUSPECT->OKAY@60000', 'failback@60000']);
      // The DWR is still unanswered: one more silent Tw goes straight back to SUSPECT.
      tick(TW);
      assert.deepEqual(s.fresh(), ['OKAY->SUSPECT@90000', 'failover@90000']);
    });

    it('connection down in OKAY: close and fail over; in SUSPECT: close only', () => {
      const a = setup();
      a.wd.connectionUp();
      a.fresh();
      tick(1_000);
      a.wd.connectionDown();
      assert.deepEqual(a.fresh(), ['OKAY->DOWN@1000', 'close@1000', 'failover@1000']);

      const b = setup();
      b.wd.connectionUp();
      tws(2);
      b.fresh();
      b.wd.connectionDown();
      assert.deepEqual(b.fresh(), ['SUSPECT->DOWN@61000', 'close@61000']);
    });

    it('DOWN: tries to reopen every Tw, discards what arrives', () => {
      const s = setup();
      toDown(s);
      assert.equal(s.wd.messageReceived(), false);
      s.wd.dwaReceived();
      assert.equal(s.wd.state, 'DOWN');
      tick(TW);
      tick(TW);
      assert.deepEqual(s.fresh(), ['open@120000', 'open@150000']);
      s.wd.connectionDown(); // already down: nothing
      assert.deepEqual(s.fresh(), []);
    });

    it('a closeConnection hook that reports the close back at once is not run twice', () => {
      let closes = 0;
      const wd: Watchdog = new Watchdog({
        twInitMs: TW,
        random: () => 0.5,
        clock: dateClock,
        sendWatchdog() {},
        closeConnection: () => {
          closes++;
          wd.connectionDown();
        },
      });
      wd.connectionUp();
      tws(3);
      assert.equal(wd.state, 'DOWN');
      assert.equal(closes, 1);
    });
  });

  describe('REOPEN (RFC 3539 §3.4.1)', () => {
    it('a new connection after DOWN is used again only after three DWAs', () => {
      const s = setup();
      toDown(s);
      tick(5_000); // t = 95 000
      s.wd.connectionUp();
      assert.deepEqual(s.fresh(), ['DOWN->REOPEN@95000', 'DWR@95000']);
      assert.equal(s.wd.messageReceived(), false, 'application traffic is thrown away in REOPEN');

      s.wd.dwaReceived(); // 1
      assert.equal(s.wd.numDwa, 1);
      tick(TW); // no SetWatchdog on a DWA in REOPEN: the next DWR is due Tw after the first one
      assert.deepEqual(s.fresh(), ['DWR@125000']);
      s.wd.dwaReceived(); // 2
      assert.equal(s.wd.state, 'REOPEN');
      tick(TW);
      assert.deepEqual(s.fresh(), ['DWR@155000']);
      s.wd.dwaReceived(); // 3
      assert.deepEqual(s.fresh(), ['REOPEN->OKAY@155000', 'failback@155000']);
      assert.equal(s.wd.state, 'OKAY');
      assert.equal(s.wd.messageReceived(), true);
    });

    it('a DWR unanswered for two Tw closes the reopened connection', () => {
      const s = setup();
      toDown(s);
      s.wd.connectionUp(); // t = 90 000, DWR out
      s.fresh();
      tick(TW);
      assert.deepEqual(s.fresh(), [], 'first Tw: one more chance, no new DWR while one is pending');
      assert.equal(s.wd.numDwa, -1);
      assert.equal(s.wd.state, 'REOPEN');
      tick(TW);
      assert.deepEqual(s.fresh(), ['REOPEN->DOWN@150000', 'close@150000']);
    });

    it('a late DWA after the grace Tw restarts the count at zero', () => {
      const s = setup();
      toDown(s);
      s.wd.connectionUp();
      tick(TW);
      assert.equal(s.wd.numDwa, -1);
      s.wd.dwaReceived();
      assert.equal(s.wd.numDwa, 0);
      assert.equal(s.wd.pending, false);
      s.fresh();
      tick(TW);
      assert.deepEqual(s.fresh(), ['DWR@150000']);
      s.wd.dwaReceived();
      tick(TW);
      s.wd.dwaReceived();
      assert.equal(s.wd.state, 'REOPEN', 'two DWAs since the reset are not enough');
      tick(TW);
      s.wd.dwaReceived();
      assert.equal(s.wd.state, 'OKAY');
    });

    it('connection down in REOPEN: back to DOWN without failover', () => {
      const s = setup();
      toDown(s);
      s.wd.connectionUp();
      s.fresh();
      s.wd.connectionDown();
      assert.deepEqual(s.fresh(), ['REOPEN->DOWN@90000', 'close@90000']);
    });
  });

  describe('INITIAL and stop', () => {
    it('start(): attempts to open every Tw until the first connection', () => {
      const s = setup();
      s.wd.start();
      tick(TW);
      tick(TW);
      assert.deepEqual(s.fresh(), ['open@30000', 'open@60000']);
      s.wd.connectionUp();
      tick(TW);
      assert.deepEqual(s.fresh(), ['INITIAL->OKAY@60000', 'DWR@90000']);
    });

    it('stop(): no timer, no hooks, and messages pass', () => {
      const s = setup();
      s.wd.connectionUp();
      tick(TW);
      s.wd.stop();
      s.fresh();
      tws(10);
      s.wd.connectionDown();
      s.wd.connectionUp();
      s.wd.dwaReceived();
      assert.equal(s.wd.messageReceived(), true);
      assert.deepEqual(s.fresh(), []);
      tws(3);
      assert.deepEqual(s.fresh(), []);
    });
  });

  describe('jitter', () => {
    it('each arming draws Tw = TwInit + (2r − 1) × 2 s', () => {
      // r = 0 → −2 s, r = 0.25 → −1 s, r = 0.75 → +1 s, r → 1 → +2 s.
      const rs = [0, 0.25, 0.75, 0.9999999];
      let i = 0;
      const s = setup({ random: () => rs[i++ % rs.length]! });
      s.wd.connectionUp(); // armed with r = 0: 28 000
      s.fresh();
      tick(27_999);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['DWR@28000']); // re-armed with r = 0.25: 29 000
      s.wd.dwaReceived();
      tick(28_999);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      // That timer found the DWA of t = 28 000 and re-armed for the rest of a fresh Tw from it
      // (r = 0.75: 31 000), i.e. until 59 000.
      tick(1_999);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['DWR@59000']); // re-armed with r ≈ 1: 32 000
      tick(31_999);
      assert.deepEqual(s.fresh(), []);
      tick(1);
      assert.deepEqual(s.fresh(), ['OKAY->SUSPECT@91000', 'failover@91000']);
    });

    it('stays within TwInit ± 2 s whatever random returns', () => {
      const delays: number[] = [];
      const spy: Clock = {
        now: dateClock.now,
        setTimeout: (cb, ms) => {
          delays.push(ms);
          return dateClock.setTimeout(cb, ms);
        },
        clearTimeout: dateClock.clearTimeout,
      };
      for (const random of [() => -5, () => 7, () => 1, () => Number.NaN, Math.random]) {
        delays.length = 0;
        const wd = new Watchdog({
          twInitMs: 6_000,
          random,
          clock: spy,
          sendWatchdog() {},
          closeConnection() {},
        });
        wd.start(); // INITIAL: re-armed on every expiry
        for (let k = 0; k < 200; k++) tick(8_000);
        wd.stop();
        assert.ok(delays.length >= 200);
        for (const d of delays) assert.ok(d >= 4_000 && d <= 8_000 && Number.isInteger(d), `Tw ${d}`);
      }
      // Math.random really jitters.
      assert.ok(new Set(delays).size > 50);
    });
  });
});

describe('systemClock', () => {
  it('is monotonic and its timers do not hold the process open', async () => {
    const t0 = systemClock.now();
    const handle = systemClock.setTimeout(() => {}, 60_000) as { hasRef(): boolean };
    assert.equal(handle.hasRef(), false);
    systemClock.clearTimeout(handle);
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(systemClock.now() >= t0 + 4);
  });
});
