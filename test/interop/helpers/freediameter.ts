/**
 * freeDiameterd as an interop peer: its TLS credentials, its configuration from
 * fixtures/freediameter.conf.template, and starting it inside a network namespace (netns.ts says why).
 * Re-exported by peers.ts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnChild, type Child } from './child.js';
import { FIXTURES, makeTempDir } from './dirs.js';
import type { Netns } from './netns.js';
import { escapeRegExp } from './waiting.js';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------------
// TLS credentials (freeDiameter needs TLS_Cred even for TCP, with CN = its Identity)

export interface Credentials {
  cert: string;
  key: string;
}

/** A throwaway self-signed certificate (P-256, two days) with CN = `commonName`. */
export async function selfSignedCert(dir: string, commonName: string): Promise<Credentials> {
  const cert = join(dir, `${commonName}.cert.pem`);
  const key = join(dir, `${commonName}.key.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-days', '2', '-subj', `/CN=${commonName}`, '-keyout', key, '-out', cert);
  await run('openssl', args, { timeout: 30_000 });
  return { cert, key };
}

// ---------------------------------------------------------------------------------------------------
// freeDiameter

export interface FreeDiameterOptions {
  identity: string;
  realm: string;
  netns: Netns;
  /** TwTimer (RFC 3539 Tw), seconds, >= 6. */
  twTimer: number;
  /** Peers it connects to itself (ConnectPeer over plain TCP to 127.0.0.1). */
  connectPeers?: { identity: string; port: number }[];
  /** Peers it accepts without configuring them (acl_wl; '*.realm' allowed), over plain TCP. */
  allowPeers?: string[];
  /** Load dict_* / rt_* extensions by file name (e.g. 'dict_dcca.fdx'). */
  extensions?: string[];
}

export interface FreeDiameter {
  child: Child;
  port: number;
  confPath: string;
  /** Waits until freeDiameter logs that the peer `identity` reached STATE_OPEN. */
  waitOpen(identity: string, timeoutMs: number): Promise<void>;
}

export const FREEDIAMETER_EXTENSIONS = '/usr/lib/freeDiameter';

/** Fills `fixtures/freediameter.conf.template`. */
export function freeDiameterConf(
  o: FreeDiameterOptions,
  creds: Credentials,
  aclPath: string | undefined,
): string {
  const template = readFileSync(join(FIXTURES, 'freediameter.conf.template'), 'utf8');
  const lines: string[] = [];
  for (const e of o.extensions ?? []) lines.push(`LoadExtension = "${join(FREEDIAMETER_EXTENSIONS, e)}";`);
  if (aclPath) lines.push(`LoadExtension = "${join(FREEDIAMETER_EXTENSIONS, 'acl_wl.fdx')}" : "${aclPath}";`);
  for (const p of o.connectPeers ?? []) {
    lines.push(`ConnectPeer = "${p.identity}" { ConnectTo = "127.0.0.1"; Port = ${p.port}; No_TLS; };`);
  }
  const values: Record<string, string> = {
    IDENTITY: o.identity,
    REALM: o.realm,
    TW_TIMER: String(o.twTimer),
    TLS_CERT: creds.cert,
    TLS_KEY: creds.key,
    PEERS: lines.join('\n'),
  };
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => values[name] ?? whole);
}

/** Starts freeDiameterd in `o.netns` listening on port 3868 and waits until it is initialised. */
export async function startFreeDiameter(o: FreeDiameterOptions): Promise<FreeDiameter> {
  const dir = makeTempDir('freediameter');
  const creds = await selfSignedCert(dir, o.identity);
  let aclPath: string | undefined;
  if (o.allowPeers?.length) {
    aclPath = join(dir, 'acl_wl.conf');
    // ALLOW_IPSEC: accept the peer on the plain-TCP port without TLS (RFC 6733 §2.2 "transparent security").
    writeFileSync(aclPath, `ALLOW_IPSEC ${o.allowPeers.join(' ')}\n`);
  }
  const confPath = join(dir, 'freeDiameter.conf');
  writeFileSync(confPath, freeDiameterConf(o, creds, aclPath));
  const child = spawnChild(`freeDiameterd (${o.identity})`, 'freeDiameterd', ['-c', confPath], {
    netns: o.netns,
    cwd: dir,
  });
  await child.waitFor(/freeDiameterd daemon initialized/, 20_000);
  return {
    child,
    port: 3868,
    confPath,
    waitOpen: async (identity, timeoutMs) => {
      const re = new RegExp(`-> 'STATE_OPEN'\\s+'${escapeRegExp(identity)}'`);
      await child.waitFor(re, timeoutMs, `STATE_OPEN for ${identity}`);
    },
  };
}
