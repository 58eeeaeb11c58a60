/**
 * subscribeProblemLogs (src/cli/problem-logs.ts) in this process: events published on the two channels
 * become pino lines (level warn) with the names a tester reads; a T-flagged duplicate is not a problem; the
 * anomaly kind has its own limit and summary (byAnomaly); nothing is written below the logger's level.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, describe, test } from 'node:test';
import pino from 'pino';
import { anomalyChannel, type AnomalyEvent } from '../../src/cdf/anomaly-events.js';
import { subscribeProblemLogs, type ProblemLogs } from '../../src/cli/problem-logs.js';
import { builtinDictionary } from '../../src/dictionary/builtin.js';
import { errorAnswerChannel, type ErrorAnswerEvent } from '../../src/node/error-answers.js';
import { ManualClock } from '../node/manual-clock.js';

const dict = builtinDictionary();
let subscribed: ProblemLogs | undefined;
afterEach(() => subscribed?.unsubscribe());

function logs(level = 'info') {
  const out: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) out.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const clock = new ManualClock();
  subscribed = subscribeProblemLogs(pino({ level, base: undefined }, sink), dict, { perSecond: 2, clock });
  return { out, clock };
}

/** A bare error-answer event: a request and its answer with this Result-Code. */
const errorAnswer = (resultCode: number): ErrorAnswerEvent => {
  const header = { version: 1, commandCode: 271, applicationId: 3, hopByHopId: 1, endToEndId: 1 };
  return {
    resultCode,
    request: { ...header, flags: 0xc0, avps: [] },
    answer: { ...header, flags: 0x40, avps: [{ code: 268, flags: 0x40, vendorId: 0, value: resultCode }] },
  };
};

const anomaly = (e: Partial<AnomalyEvent>): AnomalyEvent => ({
  anomaly: 'aCRStartLost',
  sessionId: 's;1',
  originHost: 'ctf.example.com',
  ...e,
});

describe('problem logs', () => {
  test('an error answer: the names from the dictionary, Failed-AVP nested as a path', () => {
    const { out } = logs();
    const e: ErrorAnswerEvent = {
      resultCode: 5004,
      request: {
        version: 1,
        flags: 0xc0,
        commandCode: 271,
        applicationId: 3,
        hopByHopId: 1,
        endToEndId: 1,
        avps: [
          { code: 263, flags: 0x40, vendorId: 0, value: 's;7' },
          { code: 264, flags: 0x40, vendorId: 0, value: 'ctf.example.com' },
        ],
      },
      answer: {
        version: 1,
        flags: 0x40,
        commandCode: 271,
        applicationId: 3,
        hopByHopId: 1,
        endToEndId: 1,
        avps: [
          { code: 268, flags: 0x40, vendorId: 0, value: 5004 },
          {
            code: 279,
            flags: 0x40,
            vendorId: 0,
            // Service-Information / IMS-Information / Node-Functionality (TS 32.299 codes, vendor 10415)
            avps: [
              {
                code: 873,
                flags: 0xc0,
                vendorId: 10415,
                avps: [
                  {
                    code: 876,
                    flags: 0xc0,
                    vendorId: 10415,
                    avps: [{ code: 862, flags: 0xc0, vendorId: 10415, data: new Uint8Array(4) }],
                  },
                ],
              },
            ],
          },
        ],
      },
      rule: 'r1',
    };
    errorAnswerChannel.publish(e);
    assert.equal(out.length, 1);
    const l = out[0]!;
    assert.equal(l.level, 40);
    assert.equal(l.command, 'Accounting-Request');
    assert.equal(l.sessionId, 's;7');
    assert.equal(l.peer, 'ctf.example.com');
    assert.equal(l.resultName, 'DIAMETER_INVALID_AVP_VALUE');
    assert.deepEqual(l.failedAvp, ['Service-Information/IMS-Information/Node-Functionality']);
    assert.equal(l.rule, 'r1');
  });

  test('anomalies: sub-session as text, closedBy in the message; a T-flagged duplicate is not logged', () => {
    const { out } = logs();
    anomalyChannel.publish(anomaly({ anomaly: 'duplicate', recordNumber: 3, retransmitted: true }));
    anomalyChannel.publish(
      anomaly({ anomaly: 'aCRStopLost', subSessionId: 18446744073709551615n, closedBy: 'supervision' }),
    );
    anomalyChannel.publish(anomaly({ anomaly: 'duplicate', recordNumber: 3, retransmitted: false }));
    assert.deepEqual(
      out.map((l) => [l.anomaly, l.subSessionId]),
      [
        ['aCRStopLost', '18446744073709551615'],
        ['duplicate', undefined],
      ],
    );
    assert.match(String(out[0]!.msg), /supervision/);
  });

  test('each kind has its own limit: a summary by anomaly name, error answers unaffected', () => {
    const { out, clock } = logs();
    for (const name of ['aCRStartLost', 'aCRStartLost', 'outOfOrder', 'aCRStartLost', 'outOfOrder'])
      anomalyChannel.publish(anomaly({ anomaly: name }));
    assert.equal(out.length, 2, 'two lines a second (perSecond: 2)');
    errorAnswerChannel.publish(errorAnswer(5005));
    assert.equal(out.length, 3, 'an error answer is not held back by the anomalies');
    assert.equal(out[2]!.resultCode, 5005);
    clock.advance(1000);
    assert.equal(out.length, 4, 'one summary: nothing of the error answers was held back');
    assert.deepEqual(out[3]!.byAnomaly, { aCRStartLost: 1, outOfOrder: 2 });
    assert.equal(out[3]!.notLogged, 3);
    assert.equal(out[3]!.event, 'anomaly');
  });

  test('below the logger level (--log-level error) nothing is written, nor summed up', () => {
    const { out, clock } = logs('error');
    for (let i = 0; i < 5; i++) {
      anomalyChannel.publish(anomaly({}));
      errorAnswerChannel.publish(errorAnswer(5012));
    }
    clock.advance(1000);
    assert.deepEqual(out, []);
  });
});
