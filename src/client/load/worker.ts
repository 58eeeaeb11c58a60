/**
 * A load worker thread (run-load.ts starts one per --workers): connects its share of the connections,
 * waits for "go" so every thread starts together, runs, and posts progress and its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { clientTlsFromClone } from '../client-tls.js';
import { LoadEngine } from './engine.js';
import { dictionaryFor, type WorkerInput, type WorkerMessage } from './run-load.js';

const port = parentPort!;
const input = workerData as WorkerInput;
const post = (m: WorkerMessage) => port.postMessage(m);

// The TLS files' contents come as Uint8Arrays (structured clone): Buffers again for tls.connect.
const opts = { ...input.opts, tls: clientTlsFromClone(input.opts.tls) };
const engine = new LoadEngine(opts, input.share, dictionaryFor(opts.dictionaryFiles));
engine.onMeasureStart = () => post({ type: 'measuring' });
engine.onTrafficEnd = () => post({ type: 'traffic-end' });

try {
  const peer = await engine.connect();
  post({
    type: 'connected',
    peer: { originHost: peer.originHost, originRealm: peer.originRealm, productName: peer.productName },
  });
} catch (e) {
  post({ type: 'failed', message: (e as Error).message });
  process.exit(1);
}

port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') engine.stopNow();
  if (m.type !== 'go') return;
  const timer = setInterval(
    () => post({ type: 'progress', snapshot: engine.snapshot() }),
    input.progressIntervalMs,
  );
  void engine.run().then((result) => {
    clearInterval(timer);
    post({ type: 'result', result });
    port.close();
  });
});
