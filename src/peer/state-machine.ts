/**
 * The RFC 6733 §5.6 peer state machine as data (base-protocol.md §10).
 *
 * One peer may hold two transport connections while the machine is in a transient state: the one we
 * initiated ("I-" events and actions) and the one the peer initiated ("R-"). The table below is the
 * RFC's table row for row, with the same state, event and action names, plus the few rows marked
 * `source: 'diamkit'` that say what happens when Process-CER or Process-CEA rejects the message (the RFC
 * table only shows the success path; the failure handling comes from RFC 6733 §5.3).
 *
 * `transition()` is pure: it returns the next state and the names of the actions to run, in order.
 * The connection code runs them. Two actions feed a new event back:
 *  - `Elect` runs `elect()` from election.ts; on 'win' the caller feeds `Win-Election`. On 'lose' it
 *    feeds nothing and waits for the peer to close our R connection or answer our CER (RFC 6733 §5.6.4).
 *  - `Process-CER` / `Process-CEA` decide whether the message is acceptable *before* the transition:
 *    the caller passes the verdict as `ctx.cerAcceptable` / `ctx.ceaAcceptable`, which picks the row.
 *
 * Legal transitions per state (generated from the table; `transition` never leaves these):
 *   Closed              → Wait-Conn-Ack, R-Open, Closed
 *   Wait-Conn-Ack       → Wait-I-CEA, Closed, Wait-Conn-Ack/Elect, Wait-Conn-Ack
 *   Wait-I-CEA          → I-Open, Wait-Returns, Closed, Wait-I-CEA
 *   Wait-Conn-Ack/Elect → Wait-Returns, R-Open, Wait-Conn-Ack, Wait-Conn-Ack/Elect, Closed
 *   Wait-Returns        → R-Open, I-Open, Wait-I-CEA, Wait-Returns, Closed
 *   R-Open / I-Open     → itself, Closing, Closed
 *   Closing             → Closed
 */

export const PEER_STATES = [
  'Closed',
  'Wait-Conn-Ack',
  'Wait-I-CEA',
  'Wait-Conn-Ack/Elect',
  'Wait-Returns',
  'R-Open',
  'I-Open',
  'Closing',
] as const;
export type PeerState = (typeof PEER_STATES)[number];

/**
 * RFC 6733 §5.6 events, prefixed I-/R- as the table uses them. `I-Rcv-CER`, `R-Rcv-CER` and `R-Rcv-CEA`
 * (a CER or CEA on a connection that is already open) are RFC events with no row in RFC 6733, which
 * deprecated the RFC 3588 re-negotiation rows; `transition` reports them as undefined.
 */
export const PEER_EVENTS = [
  'Start', // the application wants the peer up
  'R-Conn-CER', // a new inbound connection delivered its CER
  'I-Rcv-Conn-Ack', // our outbound connect succeeded
  'I-Rcv-Conn-Nack', // our outbound connect failed
  'Timeout', // an implementation timer expired (connect, CEA wait, DPA wait)
  'I-Rcv-CER',
  'R-Rcv-CER',
  'I-Rcv-CEA',
  'R-Rcv-CEA',
  'I-Rcv-Non-CEA', // anything but a CEA while we wait for the CEA
  'I-Peer-Disc', // transport closed by the peer
  'R-Peer-Disc',
  'I-Rcv-DWR',
  'R-Rcv-DWR',
  'I-Rcv-DWA',
  'R-Rcv-DWA',
  'I-Rcv-DPR',
  'R-Rcv-DPR',
  'I-Rcv-DPA',
  'R-Rcv-DPA',
  'Win-Election', // fed by the caller after Elect returned 'win'
  'Send-Message', // the application has a message for this peer
  'I-Rcv-Message', // anything but CER/CEA/DPR/DPA/DWR/DWA
  'R-Rcv-Message',
  'Stop', // the application wants the peer down
] as const;
export type PeerEvent = (typeof PEER_EVENTS)[number];

/** RFC 6733 §5.6 actions; the connection code maps each name to what it does. */
export const PEER_ACTIONS = [
  'I-Snd-Conn-Req', // open a transport connection to the peer
  'R-Accept', // keep the inbound connection that delivered the CER
  'R-Reject', // close the inbound connection that delivered this CER
  'Process-CER', // capability exchange on the received CER (ctx.cerAcceptable is its verdict)
  'Process-CEA', // check the received CEA (ctx.ceaAcceptable is its verdict)
  'I-Snd-CER',
  'R-Snd-CEA', // the Result-Code is what Process-CER decided
  'Cleanup', // the connect failed: free its resources
  'Error', // close the transport(s) because of an error, free resources
  'Elect', // run the election (election.ts); feed Win-Election if it is won
  'I-Disc', // close the initiated connection
  'R-Disc', // close the responder connection
  'I-Snd-Message',
  'R-Snd-Message',
  'Process', // hand the message to the node layer
  'Process-DWR', // note the peer's Origin-State-Id; the watchdog counts it as traffic
  'I-Snd-DWA',
  'R-Snd-DWA',
  'Process-DWA',
  'I-Snd-DPR',
  'R-Snd-DPR',
  'I-Snd-DPA',
  'R-Snd-DPA',
] as const;
export type PeerAction = (typeof PEER_ACTIONS)[number];

/** A precondition on the row, decided by Process-CER / Process-CEA. */
export type PeerGuard = 'CER acceptable' | 'CER not acceptable' | 'CEA acceptable' | 'CEA not acceptable';

/** The verdicts the guarded rows need. Only the one the (state, event) pair needs must be given. */
export interface TransitionContext {
  /** Process-CER accepted the CER (common application, known or allowed peer): RFC 6733 §5.3. */
  cerAcceptable?: boolean;
  /** The CEA carries Result-Code 2001 and a common application: RFC 6733 §5.3. */
  ceaAcceptable?: boolean;
}

export interface PeerTransitionRow {
  readonly state: PeerState;
  readonly event: PeerEvent;
  readonly guard?: PeerGuard;
  readonly actions: readonly PeerAction[];
  readonly next: PeerState;
  /** 'RFC 6733 §5.6' for the RFC's rows; 'diamkit' for the failure branches we add (see `note`). */
  readonly source: 'RFC 6733 §5.6' | 'diamkit';
  readonly note?: string;
}

export interface TransitionResult {
  readonly next: PeerState;
  readonly actions: readonly PeerAction[];
  /** false when the table has no row for (state, event): nothing happens (see `transition`). */
  readonly defined: boolean;
  readonly row?: PeerTransitionRow;
}

function rfc(
  state: PeerState,
  event: PeerEvent,
  actions: readonly PeerAction[],
  next: PeerState,
  guard?: PeerGuard,
): PeerTransitionRow {
  return Object.freeze({
    state,
    event,
    ...(guard !== undefined ? { guard } : {}),
    actions: Object.freeze([...actions]),
    next,
    source: 'RFC 6733 §5.6',
  });
}

function ours(
  state: PeerState,
  event: PeerEvent,
  guard: PeerGuard,
  actions: readonly PeerAction[],
  next: PeerState,
  note: string,
): PeerTransitionRow {
  return Object.freeze({
    state,
    event,
    guard,
    actions: Object.freeze([...actions]),
    next,
    source: 'diamkit',
    note,
  });
}

// RFC 6733 §5.3: a CER with no common application (or from a peer policy refuses) is answered with an
// error CEA (5010, 3010, …) and the connection SHOULD be closed. The peer's other connection, if any,
// is not affected, so the machine stays where it was.
const BAD_CER_NOTE =
  'RFC 6733 §5.3: answer the CER with the error CEA Process-CER chose, then close that connection';
const BAD_CER: readonly PeerAction[] = ['R-Accept', 'Process-CER', 'R-Snd-CEA', 'R-Disc'];

/** RFC 6733 §5.6, in the RFC's order. */
export const PEER_STATE_TABLE: readonly PeerTransitionRow[] = Object.freeze([
  rfc('Closed', 'Start', ['I-Snd-Conn-Req'], 'Wait-Conn-Ack'),
  rfc('Closed', 'R-Conn-CER', ['R-Accept', 'Process-CER', 'R-Snd-CEA'], 'R-Open', 'CER acceptable'),
  ours('Closed', 'R-Conn-CER', 'CER not acceptable', BAD_CER, 'Closed', BAD_CER_NOTE),

  rfc('Wait-Conn-Ack', 'I-Rcv-Conn-Ack', ['I-Snd-CER'], 'Wait-I-CEA'),
  rfc('Wait-Conn-Ack', 'I-Rcv-Conn-Nack', ['Cleanup'], 'Closed'),
  rfc('Wait-Conn-Ack', 'R-Conn-CER', ['R-Accept', 'Process-CER'], 'Wait-Conn-Ack/Elect', 'CER acceptable'),
  ours('Wait-Conn-Ack', 'R-Conn-CER', 'CER not acceptable', BAD_CER, 'Wait-Conn-Ack', BAD_CER_NOTE),
  rfc('Wait-Conn-Ack', 'Timeout', ['Error'], 'Closed'),

  rfc('Wait-I-CEA', 'I-Rcv-CEA', ['Process-CEA'], 'I-Open', 'CEA acceptable'),
  ours(
    'Wait-I-CEA',
    'I-Rcv-CEA',
    'CEA not acceptable',
    ['Process-CEA', 'Error'],
    'Closed',
    'RFC 6733 §5.3: a CEA without 2001 or without a common application leaves the connection unusable',
  ),
  rfc('Wait-I-CEA', 'R-Conn-CER', ['R-Accept', 'Process-CER', 'Elect'], 'Wait-Returns', 'CER acceptable'),
  ours('Wait-I-CEA', 'R-Conn-CER', 'CER not acceptable', BAD_CER, 'Wait-I-CEA', BAD_CER_NOTE),
  rfc('Wait-I-CEA', 'I-Peer-Disc', ['I-Disc'], 'Closed'),
  rfc('Wait-I-CEA', 'I-Rcv-Non-CEA', ['Error'], 'Closed'),
  rfc('Wait-I-CEA', 'Timeout', ['Error'], 'Closed'),

  rfc('Wait-Conn-Ack/Elect', 'I-Rcv-Conn-Ack', ['I-Snd-CER', 'Elect'], 'Wait-Returns'),
  rfc('Wait-Conn-Ack/Elect', 'I-Rcv-Conn-Nack', ['R-Snd-CEA'], 'R-Open'),
  rfc('Wait-Conn-Ack/Elect', 'R-Peer-Disc', ['R-Disc'], 'Wait-Conn-Ack'),
  rfc('Wait-Conn-Ack/Elect', 'R-Conn-CER', ['R-Reject'], 'Wait-Conn-Ack/Elect'),
  rfc('Wait-Conn-Ack/Elect', 'Timeout', ['Error'], 'Closed'),

  rfc('Wait-Returns', 'Win-Election', ['I-Disc', 'R-Snd-CEA'], 'R-Open'),
  rfc('Wait-Returns', 'I-Peer-Disc', ['I-Disc', 'R-Snd-CEA'], 'R-Open'),
  // The RFC row has no Process-CEA: the peer's capabilities are already known from its CER on R.
  rfc('Wait-Returns', 'I-Rcv-CEA', ['R-Disc'], 'I-Open', 'CEA acceptable'),
  ours(
    'Wait-Returns',
    'I-Rcv-CEA',
    'CEA not acceptable',
    ['Process-CEA', 'I-Disc', 'R-Snd-CEA'],
    'R-Open',
    'a refused CEA kills the initiated connection; keep the accepted responder one, as for I-Peer-Disc',
  ),
  rfc('Wait-Returns', 'R-Peer-Disc', ['R-Disc'], 'Wait-I-CEA'),
  rfc('Wait-Returns', 'R-Conn-CER', ['R-Reject'], 'Wait-Returns'),
  rfc('Wait-Returns', 'Timeout', ['Error'], 'Closed'),

  rfc('R-Open', 'Send-Message', ['R-Snd-Message'], 'R-Open'),
  rfc('R-Open', 'R-Rcv-Message', ['Process'], 'R-Open'),
  rfc('R-Open', 'R-Rcv-DWR', ['Process-DWR', 'R-Snd-DWA'], 'R-Open'),
  rfc('R-Open', 'R-Rcv-DWA', ['Process-DWA'], 'R-Open'),
  rfc('R-Open', 'R-Conn-CER', ['R-Reject'], 'R-Open'),
  rfc('R-Open', 'Stop', ['R-Snd-DPR'], 'Closing'),
  // RFC 6733 (unlike RFC 3588) keeps the connection after the DPA: the DPR sender closes it.
  rfc('R-Open', 'R-Rcv-DPR', ['R-Snd-DPA'], 'Closing'),
  rfc('R-Open', 'R-Peer-Disc', ['R-Disc'], 'Closed'),

  rfc('I-Open', 'Send-Message', ['I-Snd-Message'], 'I-Open'),
  rfc('I-Open', 'I-Rcv-Message', ['Process'], 'I-Open'),
  rfc('I-Open', 'I-Rcv-DWR', ['Process-DWR', 'I-Snd-DWA'], 'I-Open'),
  rfc('I-Open', 'I-Rcv-DWA', ['Process-DWA'], 'I-Open'),
  rfc('I-Open', 'R-Conn-CER', ['R-Reject'], 'I-Open'),
  rfc('I-Open', 'Stop', ['I-Snd-DPR'], 'Closing'),
  rfc('I-Open', 'I-Rcv-DPR', ['I-Snd-DPA'], 'Closing'),
  rfc('I-Open', 'I-Peer-Disc', ['I-Disc'], 'Closed'),

  rfc('Closing', 'I-Rcv-DPA', ['I-Disc'], 'Closed'),
  rfc('Closing', 'R-Rcv-DPA', ['R-Disc'], 'Closed'),
  rfc('Closing', 'Timeout', ['Error'], 'Closed'),
  rfc('Closing', 'I-Peer-Disc', ['I-Disc'], 'Closed'),
  rfc('Closing', 'R-Peer-Disc', ['R-Disc'], 'Closed'),
]);

const GUARD_TEST: Record<PeerGuard, readonly [keyof TransitionContext, boolean]> = {
  'CER acceptable': ['cerAcceptable', true],
  'CER not acceptable': ['cerAcceptable', false],
  'CEA acceptable': ['ceaAcceptable', true],
  'CEA not acceptable': ['ceaAcceptable', false],
};

const key = (state: PeerState, event: PeerEvent): string => `${state}\u0000${event}`;

/**
 * Rows by (state, event). Built once; checks that every pair has either one unguarded row or exactly
 * two rows guarded on the two verdicts of the same check, so `transition` can never be ambiguous.
 */
const INDEX: ReadonlyMap<string, readonly PeerTransitionRow[]> = (() => {
  const index = new Map<string, PeerTransitionRow[]>();
  for (const row of PEER_STATE_TABLE) {
    const k = key(row.state, row.event);
    const rows = index.get(k);
    if (rows) rows.push(row);
    else index.set(k, [row]);
  }
  for (const rows of index.values()) {
    const { state, event } = rows[0]!;
    const ok =
      (rows.length === 1 && rows[0]!.guard === undefined) ||
      (rows.length === 2 &&
        rows.every((r) => r.guard !== undefined) &&
        GUARD_TEST[rows[0]!.guard!][0] === GUARD_TEST[rows[1]!.guard!][0] &&
        GUARD_TEST[rows[0]!.guard!][1] !== GUARD_TEST[rows[1]!.guard!][1]);
    if (!ok) throw new Error(`peer state table: ambiguous rows for ${state} + ${event}`);
  }
  return index;
})();

const UNDEFINED_ACTIONS: readonly PeerAction[] = Object.freeze([]);

/**
 * The next state and the actions to run for `event` in `state`.
 *
 * A pair the table does not list gives `{ next: state, actions: [], defined: false }`: nothing changes.
 * RFC 6733 §5.6 has no row for them, and most are harmless repeats (Stop when Closed, a second
 * Peer-Disc, an answer arriving in Closing), so closing anything would do more harm than good. The
 * caller decides what `defined: false` means for the message at hand: a `Send-Message` outside an open
 * state fails the request locally (3002 DIAMETER_UNABLE_TO_DELIVER), an unexpected received message is
 * logged and discarded, or (for a CER on an open connection, base-protocol.md §10) answered or closed.
 *
 * Throws TypeError when the pair's rows are guarded and `ctx` lacks the verdict they need: that is a
 * bug in the caller, not a protocol event.
 */
export function transition(
  state: PeerState,
  event: PeerEvent,
  ctx: TransitionContext = {},
): TransitionResult {
  const rows = INDEX.get(key(state, event));
  if (rows === undefined) return { next: state, actions: UNDEFINED_ACTIONS, defined: false };
  let row = rows[0]!;
  if (row.guard !== undefined) {
    const field = GUARD_TEST[row.guard][0];
    const verdict = ctx[field];
    if (typeof verdict !== 'boolean') {
      throw new TypeError(`peer state machine: ${state} + ${event} needs ctx.${field} (true or false)`);
    }
    row = rows.find((r) => GUARD_TEST[r.guard!][1] === verdict)!;
  }
  return { next: row.next, actions: row.actions, defined: true, row };
}

/** The events `state` has rows for, in table order (what the state accepts). */
export function eventsFor(state: PeerState): PeerEvent[] {
  const seen = new Set<PeerEvent>();
  for (const row of PEER_STATE_TABLE) if (row.state === state) seen.add(row.event);
  return [...seen];
}

/** The stable states where application messages flow (RFC 6733 §5.6: I-Open and R-Open). */
export function isOpen(state: PeerState): state is 'I-Open' | 'R-Open' {
  return state === 'I-Open' || state === 'R-Open';
}
