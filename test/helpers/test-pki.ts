/**
 * Throwaway certificates for the TLS tests, made with the openssl command in a folder the test owns:
 * self-signed ones (a server's, or a CA) and ones a CA signed, EC P-256 keys, valid for a day.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether the openssl command is here (tests skip without it, except in CI). */
export const HAVE_OPENSSL = hasOpenssl();

/** A certificate and its key, as PEM bytes and as the files they are in. */
export interface Pem {
  cert: Buffer;
  key: Buffer;
  certFile: string;
  keyFile: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestPki {
  constructor(readonly dir: string) {}

  /** NAME.crt and NAME.key, self-signed for `cn`, with `san` (e.g. DNS:cdf.test,IP:127.0.0.1) when given. */
  selfSigned(name: string, cn: string, san?: string): Pem {
    const ext = san ? ['-addext', `subjectAltName=${san}`] : [];
    this.openssl('req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${cn}`, ...ext);
    return this.pem(name);
  }

  /** NAME.crt and NAME.key for `cn`, signed by the CA made as `ca`, with `san` when given. */
  signedBy(name: string, cn: string, ca: string, san?: string): Pem {
    this.openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    const ext: string[] = [];
    if (san) {
      writeFileSync(join(this.dir, `${name}.ext`), `subjectAltName=${san}\n`);
      ext.push('-extfile', `${name}.ext`);
    }
    this.openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...ext);
    return this.pem(name);
  }

  private pem(name: string): Pem {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
