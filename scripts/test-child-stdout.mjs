// Preloaded by scripts/run-tests.mjs into `node --test` and so into each test file's child process.
//
// Each file runs in a child that reports its results to the runner over its stdout, a pipe, which on Linux
// is non-blocking: writes queue in the process. With --test-force-exit the child calls process.exit() once
// its tests are done, and what is still queued is lost. The runner then counts fewer tests than ran, with
// exit status 0 (nodejs/node#64833); a lost failure still fails the run, through the child's exit status,
// but without its name or error. Seen here: one CI run reported 944 of 950 tests, the six of the last
// suite of test/codec/vectors.test.ts missing. A blocking pipe cannot lose them: each write completes
// before the next line runs. Only in the children (NODE_TEST_CONTEXT is set by the runner for them).
if (process.env.NODE_TEST_CONTEXT?.startsWith('child')) process.stdout._handle?.setBlocking?.(true);
