/**
 * The baseline: the npm `diameter` package (0.7.0, a devDependency used only here). It is CommonJS and
 * untyped, so it is loaded with createRequire and given the two signatures the benchmark calls.
 */
import { createRequire } from 'node:module';

export interface NpmDiameterCodec {
  /** Returns the package's own message object (names, not numbers; values already converted). */
  decodeMessage(buffer: Buffer): unknown;
  encodeMessage(message: unknown): Buffer;
}

export const NPM_DIAMETER_MODULE = 'diameter/lib/diameter-codec.js';

export function loadNpmDiameter(): { codec: NpmDiameterCodec; version: string } {
  const require = createRequire(import.meta.url);
  const codec = require(NPM_DIAMETER_MODULE) as NpmDiameterCodec;
  const version = (require('diameter/package.json') as { version: string }).version;
  return { codec, version };
}
