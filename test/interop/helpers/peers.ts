/**
 * Starting and stopping the real peers of the interop tests (shared/DESIGN.md, "Real peers for tests"):
 * `diamkit serve` as a child process, freeDiameterd in a private network namespace, Erlang/OTP diameter
 * escripts, and a packet capture around a test. Every child is tracked so that a test can stop all it
 * started, and every wait is bounded in time.
 *
 * The helpers live in one file per kind (dirs, child, netns, diamkit-serve, freediameter, erlang,
 * capture, waiting, messages); this file re-exports them all, so tests import from here.
 */
export * from './dirs.js';
export * from './child.js';
export * from './netns.js';
export * from './diamkit-serve.js';
export * from './freediameter.js';
export * from './erlang.js';
export * from './capture.js';
export * from './waiting.js';
export * from './messages.js';
