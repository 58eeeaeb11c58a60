/**
 * A scenario once read and checked (scenario.ts): its sessions, identity, variables and steps, each
 * step's message template or expectation, and where in the file each was written. runner.ts runs it.
 */
import type { MessageJson } from '../dictionary/message-format.js';
import type { CsvTable } from './csv.js';
import type { Expectation } from './expect.js';

/** A message template and where it was written. */
export interface MessageTemplate {
  json: MessageJson;
  /** "scenarios/x.yaml:12" — for errors found only when it is filled in. */
  where: string;
  applicationId: number;
}

export interface StepBase {
  /** "3", or "2.1" inside a repeat. */
  id: string;
  name?: string;
  where: string;
}

export interface SendStep extends StepBase {
  kind: 'send';
  message: MessageTemplate;
  /** Step variables, `${…}` allowed (filled in before the message). */
  with: [string, string][];
  expect: Expectation;
  /** Variable name → AVP path of the answer whose value to keep. */
  save: [string, string][];
  fill: boolean;
  /** This step's answer timeout; unset: the run's (--timeout) or the scenario's. */
  timeoutMs?: number;
  /** A retransmit step names this one, so each session keeps the latest request it sent. */
  retransmitted?: boolean;
}
/**
 * Sends a request of this session again as a retransmission (RFC 6733 §3 T flag, §6.1.3 duplicate
 * detection): the same octets but the T flag set and a new Hop-by-Hop id; same End-to-End id and AVPs.
 */
export interface RetransmitStep extends StepBase {
  kind: 'retransmit';
  /** The send step whose latest request goes again; unset: the last request the session sent. */
  of?: SendStep;
  /** As a send's: Result-Code 2001 unless it says otherwise; placeholders as they were at that send. */
  expect: Expectation;
  save: [string, string][];
  timeoutMs?: number;
}
export interface ExpectStep extends StepBase {
  kind: 'expect';
  expect: Expectation;
}
export interface WaitStep extends StepBase {
  kind: 'wait';
  /** Milliseconds, or a template to fill in and read as a duration. */
  duration: number | string;
}
export interface RepeatStep extends StepBase {
  kind: 'repeat';
  times: number;
  steps: Step[];
}
export type Step = SendStep | RetransmitStep | ExpectStep | WaitStep | RepeatStep;

export interface Scenario {
  file: string;
  name: string;
  description?: string;
  sessions: number;
  parallel: number;
  identity: { originHost?: string; originRealm?: string };
  /** In the order written; each may use `${…}` of the ones before it. */
  variables: [string, string][];
  csv?: CsvTable;
  /** `timeout:` of the file: how long a request waits for its answer, unless its step says. */
  timeoutMs?: number;
  steps: Step[];
  /** Applications of the requests, advertised in CER. */
  applications: number[];
}
