/**
 * The schema of diamkit.yaml (docs/config.md): what `diamkit serve --config FILE` reads, what
 * `diamkit config check` validates and what `diamkit config schema` prints as JSON Schema for editors.
 *
 * Every object is strict (an unknown key is an error: a typo must not be silently ignored). Times are
 * seconds, fractions allowed where the protocol allows them. No defaults are filled in here: a key left out
 * means "what `diamkit serve` does without it", so the file and the command-line flags share one set of
 * defaults (src/cli/main.ts). Each leaf says in words what it expects; load.ts puts that in its errors.
 */
import { z } from 'zod';

/** "expected …" wording per schema node, for error messages (load.ts). */
const EXPECTED = new WeakMap<z.ZodType, string>();

/** Describes `schema` for the JSON Schema and records what it expects for error messages. */
function field<T extends z.ZodType>(schema: T, expected: string, description?: string): T {
  const s = (description ? schema.describe(description) : schema) as T;
  EXPECTED.set(s, expected);
  return s;
}

/** What the schema node expects, in words (undefined when none was recorded). */
export function expectedOf(schema: z.ZodType): string | undefined {
  return EXPECTED.get(schema);
}

const u32 = () => z.number().int().min(0).max(0xffffffff);
const seconds = (min = 0) => z.number().min(min);
const wholeSeconds = (min = 0) => z.number().int().min(min);

const diameterIdentity = (description: string) =>
  field(z.string().min(1), 'a DiameterIdentity (an FQDN such as cdf.example.net)', description);
const filePath = (description: string) =>
  field(z.string().min(1), 'a file path (relative to this config file)', description);
const host = (description: string) => field(z.string().min(1), 'an IP address or host name', description);
const port = (description: string) => field(u32().max(65535), 'a port number 0-65535', description);

// ---------------------------------------------------------------------------------------------------
// the node

const identity = z
  .strictObject({
    originHost: diameterIdentity('Origin-Host of this node (RFC 6733 §6.3)'),
    originRealm: field(z.string().min(1), 'a realm (such as example.net)', 'Origin-Realm of this node'),
    productName: field(z.string().min(1), 'a text', 'Product-Name in CER/CEA (default diamkit)').optional(),
    vendorId: field(u32(), 'a Vendor-Id (whole number)', 'Vendor-Id in CER/CEA (default 0)').optional(),
    firmwareRevision: field(u32(), 'a whole number', 'Firmware-Revision in CER/CEA').optional(),
    realms: field(
      z.array(z.string().min(1)),
      'a list of realms',
      'realms this node answers for; requests to others get 3003 (default: any realm)',
    ).optional(),
  })
  .describe('who this node is');
field(identity, 'a mapping with originHost and originRealm');

const tcpListener = z.strictObject({
  transport: z.literal('tcp'),
  host: host('listen address (default 127.0.0.1)').optional(),
  port: port('TCP port (default 3868)'),
});

const tlsListener = z.strictObject({
  transport: z.literal('tls'),
  host: host('listen address (default 127.0.0.1)').optional(),
  port: port('TLS port (RFC 6733: 5868); TLS from the first byte'),
  cert: filePath('certificate (PEM)'),
  key: filePath('private key (PEM)'),
  ca: filePath('CA for client certificates (PEM)').optional(),
  requireClientCert: field(
    z.boolean(),
    'true or false',
    'refuse clients without a certificate signed by ca',
  ).optional(),
});

const listener = field(
  z.discriminatedUnion('transport', [tcpListener, tlsListener]),
  'a listener: { transport: tcp, port } or { transport: tls, port, cert, key }',
);

const connectTls = z.strictObject({
  cert: filePath('our client certificate (PEM)'),
  key: filePath('its private key (PEM)'),
  ca: filePath('CA that signed the peer’s certificate (PEM)').optional(),
  servername: field(z.string().min(1), 'a host name', 'TLS server name (SNI)').optional(),
  rejectUnauthorized: field(
    z.boolean(),
    'true or false',
    'verify the peer’s certificate (default: when ca is given)',
  ).optional(),
});

const peerTarget = z.strictObject({
  host: host('address of the peer'),
  port: port('its port'),
  originHost: diameterIdentity('the peer’s Origin-Host, when known').optional(),
  tls: connectTls.optional().describe('connect with TLS'),
});

const peers = z
  .strictObject({
    allow: field(
      z.array(z.string().min(1)),
      'a list of DiameterIdentities',
      'peers allowed to connect (Origin-Host, case-insensitive); others get 3010. Default: anyone',
    ).optional(),
    multipleConnections: field(
      z.boolean(),
      'true or false',
      'accept several connections with the same Origin-Host (load generators); default false',
    ).optional(),
    connect: field(
      z.array(peerTarget),
      'a list of { host, port }',
      'peers this node connects to (and reconnects to after Tc)',
    ).optional(),
  })
  .describe('peer table');
field(peers, 'a mapping (allow, multipleConnections, connect)');

const timers = z
  .strictObject({
    watchdog: field(
      seconds(6),
      'seconds >= 6 (RFC 3539: Tw)',
      'Tw, the watchdog interval (default 30)',
    ).optional(),
    reconnect: field(
      seconds(0.001),
      'seconds > 0',
      'Tc, how soon to reconnect to a configured peer (default 30)',
    ).optional(),
    requestTimeout: field(
      seconds(0.001),
      'seconds > 0',
      'how long a request we send waits for its answer (default 10)',
    ).optional(),
    cerTimeout: field(
      seconds(0.001),
      'seconds > 0',
      'close an inbound connection that sends no CER within this time',
    ).optional(),
    duplicateWindow: field(
      seconds(0),
      'seconds >= 0',
      'how long answers are kept for T-flagged retransmissions',
    ).optional(),
    duplicateMaxEntries: field(
      z.number().int().min(0).max(0x3fffffff),
      'a whole number of answers 0..1073741823',
      'at most this many answers are kept for T-flagged retransmissions, oldest out first (default 65536; 0 = duplicate detection off)',
    ).optional(),
  })
  .describe('protocol timers, in seconds, and the bound of the duplicate cache');
field(
  timers,
  'a mapping of timers in seconds (watchdog, reconnect, requestTimeout, cerTimeout, duplicateWindow) and duplicateMaxEntries',
);

const cdf = z
  .strictObject({
    enabled: field(
      z.boolean(),
      'true or false',
      'run the Rf CDF (default true); false = a bare terminator',
    ).optional(),
    interimInterval: field(
      wholeSeconds(1),
      'whole seconds > 0',
      'Acct-Interim-Interval the CDF imposes in ACA START/INTERIM',
    ).optional(),
    supervisionFactor: field(
      z.number().min(1),
      'a number >= 1',
      'close a silent session after interimInterval × this (default 2)',
    ).optional(),
    maxInactivity: field(
      wholeSeconds(1),
      'whole seconds > 0',
      'without an interim interval: close a session silent this long (default 3600)',
    ).optional(),
    closeOnCtfRestart: field(
      z.boolean(),
      'true or false',
      'close the open sessions of a CTF whose Origin-State-Id rises (it restarted; default true)',
    ).optional(),
    stopGraceSeconds: field(
      wholeSeconds(0),
      'whole seconds >= 0',
      'a STOP that arrives while INTERIMs are missing closes the record this much later, merging late ones (default 2; 0 = at once)',
    ).optional(),
    heapGrowthPercent: field(
      z.number().int().min(0).max(1000),
      'a whole percent 0..1000',
      'once the live heap passes 256 MiB, how far it may grow past what is live before a full collection (default 20; 0 = V8 decides)',
    ).optional(),
    idleReclaimSeconds: field(
      wholeSeconds(0),
      'whole seconds >= 0',
      'after this long with no ACR following a busy spell, give unused heap back (default 5; 0 = never)',
    ).optional(),
    partial: z
      .strictObject({
        timeLimit: field(
          wholeSeconds(0),
          'whole seconds >= 0',
          'cut a partial CDR after this long (0 = off)',
        ).optional(),
        volumeLimit: field(
          z.number().int().min(0),
          'a whole number of octets >= 0',
          'cut a partial CDR after this volume (0 = off)',
        ).optional(),
        maxContainers: field(
          z.number().int().min(0),
          'a whole number >= 0',
          'cut a partial CDR after this many containers (0 = off)',
        ).optional(),
      })
      .optional()
      .describe('partial CDR limits (TS 32.298)'),
  })
  .describe('the simulated Rf CDF');
field(cdf, 'a mapping (enabled, interimInterval, supervisionFactor, maxInactivity, closeOnCtfRestart, stopGraceSeconds, heapGrowthPercent, idleReclaimSeconds, partial)');

const admin = z
  .strictObject({
    host: host('listen address of the admin HTTP API (default 127.0.0.1)').optional(),
    port: port('its port'),
    token: field(z.string().min(1), 'a non-empty string', 'bearer token the API requires').optional(),
  })
  .describe('admin HTTP API (reserved: not served yet)');
field(admin, 'a mapping with port (host, token optional)');

const logging = z
  .strictObject({
    level: field(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      'one of fatal, error, warn, info, debug, trace, silent',
      'log level (default info)',
    ).optional(),
    trace: field(z.boolean(), 'true or false', 'log every message in the one-line text form').optional(),
  })
  .describe('logging (pino, JSON lines on stdout)');
field(logging, 'a mapping (level, trace)');

// ---------------------------------------------------------------------------------------------------
// behaviour rules (src/node/rules.ts)

const scalar = z.union([z.string(), z.number()]);
const valueMatch = field(
  z.union([
    z.string(),
    z.number(),
    z.array(scalar).min(1),
    z.strictObject({ regex: z.string() }),
    z.strictObject({ present: z.boolean() }),
  ]),
  'a value, a list of values, { regex: "…" } or { present: true|false }',
);

const ruleMatch = z
  .strictObject({
    application: field(
      z.union([u32(), z.string().min(1)]),
      'an Application-Id or application name',
      'Application-Id of the request',
    ).optional(),
    command: field(
      z.union([u32().max(0xffffff), z.string().min(1)]),
      'a command code or name (ACR, Accounting)',
      'command of the request',
    ).optional(),
    recordType: field(
      z.union([scalar, z.array(scalar).min(1)]),
      'an Accounting-Record-Type (1-4, START_RECORD, START …) or a list of them',
      'Accounting-Record-Type',
    ).optional(),
    sessionId: valueMatch.optional().describe('the request’s Session-Id'),
    avp: field(
      z.record(z.string().min(1), valueMatch),
      'a mapping of AVP paths (Service-Information/Subscription-Id/Subscription-Id-Data) to values',
      'AVPs by path: every one must match (any occurrence of an AVP)',
    ).optional(),
    percent: field(
      z.number().min(0).max(100),
      'a percentage 0-100',
      'the share of otherwise matching requests taken',
    ).optional(),
    window: z
      .strictObject({
        from: field(z.string(), 'an ISO 8601 date-time', 'active from this instant').optional(),
        until: field(z.string(), 'an ISO 8601 date-time', 'active until this instant (exclusive)').optional(),
        after: field(
          seconds(0),
          'seconds >= 0',
          'active from this long after the rule was loaded or added',
        ).optional(),
        for: field(seconds(0), 'seconds >= 0', 'active for this long').optional(),
      })
      .optional()
      .describe('when the rule is active'),
  })
  .describe('which requests the rule takes (all conditions must hold; none = every application request)');
field(ruleMatch, 'a mapping of conditions (command, recordType, sessionId, avp, percent, window)');

const ruleAction = z
  .strictObject({
    result: field(
      u32(),
      'a Result-Code (whole number, e.g. 5030)',
      'answer with this Result-Code instead of the application',
    ).optional(),
    experimentalResult: z
      .strictObject({
        vendorId: field(u32(), 'a Vendor-Id', 'default 10415 (3GPP)').optional(),
        code: field(u32(), 'an Experimental-Result-Code (whole number)', 'Experimental-Result-Code'),
      })
      .optional()
      .describe('answer with Experimental-Result instead of the application'),
    errorMessage: field(z.string(), 'a text', 'Error-Message with result / experimentalResult').optional(),
    delay: field(
      seconds(0),
      'seconds >= 0',
      'send the answer this long after the request arrived',
    ).optional(),
    drop: field(
      z.boolean(),
      'true or false',
      'send no answer (the application never sees the request)',
    ).optional(),
    close: field(
      z.boolean(),
      'true or false',
      'close the connection after the answer (at once with drop), without DPR',
    ).optional(),
    dpr: field(
      z.union([
        z.boolean(),
        z.strictObject({
          cause: z.union([z.enum(['REBOOTING', 'BUSY', 'DO_NOT_WANT_TO_TALK_TO_YOU']), u32()]),
        }),
      ]),
      'true or { cause: REBOOTING | BUSY | DO_NOT_WANT_TO_TALK_TO_YOU }',
      'send DPR after the answer',
    ).optional(),
    interimInterval: field(
      u32(),
      'whole seconds >= 0',
      'put this Acct-Interim-Interval in the answer',
    ).optional(),
    answerTwice: field(
      z.union([z.boolean(), z.strictObject({ after: seconds(0) })]),
      'true or { after: seconds }',
      'send the same answer a second time',
    ).optional(),
  })
  .describe('what to do with a matching request');
field(
  ruleAction,
  'a mapping of effects (result, experimentalResult, delay, drop, close, dpr, interimInterval, answerTwice)',
);

export const ruleSchema = z
  .strictObject({
    id: field(
      z.string().min(1),
      'a non-empty string',
      'name of the rule in lists and counters (default rule-N)',
    ).optional(),
    match: ruleMatch.optional(),
    action: ruleAction,
    limit: field(z.number().int().min(1), 'a whole number > 0', 'take at most this many requests').optional(),
  })
  .describe('a behaviour rule');
field(ruleSchema, 'a rule: { match, action }');

// ---------------------------------------------------------------------------------------------------
// the file

export const configSchema = z
  .strictObject({
    identity,
    listeners: field(
      z
        .array(listener)
        .min(1)
        .refine((l) => l.some((x) => x.transport === 'tcp'), {
          message: 'expected at least one listener with transport: tcp',
        }),
      'a list of listeners with at least one tcp listener',
      'where to listen (default one TCP listener on 127.0.0.1:3868)',
    ).optional(),
    peers: peers.optional(),
    timers: timers.optional(),
    store: field(
      z.string().min(1),
      'a SQLite file path or a postgres:// URL',
      'CDR store (default ./data/diamkit.db)',
    ).optional(),
    cdf: cdf.optional(),
    admin: admin.optional(),
    rules: field(z.array(ruleSchema), 'a list of rules', 'behaviour rules, first match wins').optional(),
    logging: logging.optional(),
    unsupportedCommand: field(
      z.union([z.literal(5012), z.literal(3001)]),
      '5012 or 3001',
      'Result-Code for unimplemented commands: 5012 (default) or RFC 6733’s 3001',
    ).optional(),
    allowUnknownMandatory: field(
      z.boolean(),
      'true or false',
      'accept unknown AVPs with the M bit instead of answering 5001 (default false)',
    ).optional(),
    dictionaries: field(
      z.array(z.string().min(1)),
      'a list of file paths',
      'extra dictionaries (our JSON/YAML or Wireshark XML), relative to this file',
    ).optional(),
  })
  .describe('diamkit configuration (docs/config.md)');
field(
  configSchema,
  'a mapping with identity (and listeners, peers, timers, store, cdf, admin, rules, logging …)',
);

export type DiamkitConfig = z.output<typeof configSchema>;
export type ListenerConfig = z.output<typeof listener>;
export type PeerTargetConfig = z.output<typeof peerTarget>;

/** The JSON Schema editors use (yaml-language-server, VS Code). */
export function configJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { $schema: s.$schema, title: 'diamkit configuration', ...s };
}
