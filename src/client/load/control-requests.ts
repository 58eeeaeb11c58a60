/**
 * The load connection's own base-protocol requests (CER, DWR, DPR), which wait for their answers the
 * ordinary way: a Promise and a timer each, answers decoded in full. They are rare, so none of this is on
 * the ACR hot path. Their Hop-by-Hop ids count down from the top of the space, while ACR ids carry a
 * slot in their low bits and are matched by command code, so the two never meet.
 */
import { decodeMessage } from '../../codec/message.js';
import type { Message } from '../../codec/types.js';
import { u32At } from './answer-reader.js';

export const CONTROL_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ControlRequests {
  private readonly pending = new Map<number, Pending>();
  private hbh = 0;

  /**
   * Numbers `msg` (a new Hop-by-Hop id; `endToEndId` from the caller, the connection's one sequence),
   * hands it to `write`, and resolves with its answer, or rejects after CONTROL_TIMEOUT_MS.
   */
  send(msg: Message, endToEndId: number, write: (m: Message) => void): Promise<Message> {
    this.hbh = (this.hbh - 1) >>> 0;
    msg.hopByHopId = this.hbh;
    msg.endToEndId = endToEndId;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msg.hopByHopId);
        reject(new Error(`no answer to command ${msg.commandCode} within ${CONTROL_TIMEOUT_MS} ms`));
      }, CONTROL_TIMEOUT_MS);
      timer.unref();
      this.pending.set(msg.hopByHopId, { resolve, reject, timer });
      write(msg);
    });
  }

  /** The answer `f` (one framed message) to one of ours: settles it. False when none waits for it (late). */
  answer(f: Buffer): boolean {
    const hbh = u32At(f, 12);
    const p = this.pending.get(hbh);
    if (!p) return false;
    this.pending.delete(hbh);
    clearTimeout(p.timer);
    try {
      p.resolve(decodeMessage(f));
    } catch (e) {
      p.reject(e as Error);
    }
    return true;
  }

  /** The connection closed: every request still waiting fails with `reason`. */
  failAll(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
