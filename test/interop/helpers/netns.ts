/**
 * A private network namespace for freeDiameter and the programs that talk to it. Re-exported by
 * peers.ts.
 *
 * freeDiameter 1.2.1 ignores loopback addresses in `ListenOn` and refuses to start unless it finds a
 * non-loopback address on a non-loopback interface (libfdcore server.c / cnxctx.c). So it runs in a
 * network namespace of its own (`unshare -n`) holding `lo` and one veth pair carrying a documentation
 * address (RFC 5737 TEST-NET-1): it then listens on 0.0.0.0 *inside* that namespace only, and the
 * other programs of the test join the same namespace with `nsenter` and talk to it over 127.0.0.1.
 * The veth pair has no end outside the namespace, so nothing leaves it.
 */
import { spawnChild, type Child } from './child.js';

// ---------------------------------------------------------------------------------------------------
// network namespace

/** RFC 5737 TEST-NET-1: a documentation address, given to freeDiameter so that it has a local endpoint. */
export const NETNS_ADDRESS = '192.0.2.1';

/**
 * A private network namespace kept alive by a `sleep` holder process; other programs join it with
 * `nsenter -t PID -n` (nsenter execs the program, so its pid is the program's pid).
 */
export class Netns {
  private constructor(readonly holder: Child) {}

  static async create(): Promise<Netns> {
    const script = [
      'set -e',
      'ip link set lo up',
      // Both ends stay in the namespace: an address for freeDiameter's CER, and no route out.
      'ip link add dk0 type veth peer name dk1',
      `ip addr add ${NETNS_ADDRESS}/32 dev dk0`,
      'ip link set dk0 up',
      'ip link set dk1 up',
      'echo netns-ready',
      // Bounded: the namespace goes away at the latest when this ends.
      'exec sleep 600',
    ].join('\n');
    const holder = spawnChild('netns', 'unshare', ['-n', 'sh', '-c', script]);
    await holder.waitFor(/netns-ready/, 10_000);
    return new Netns(holder);
  }

  get pid(): number {
    return this.holder.pid;
  }

  /** The command line that runs `command` inside this namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ['nsenter', ['-t', String(this.pid), '-n', '--', command, ...args]];
  }

  async close(): Promise<void> {
    await this.holder.stop('SIGKILL', 1000);
  }
}
