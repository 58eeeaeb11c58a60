/**
 * DiameterURI (RFC 6733 §4.3.1):
 *   "aaa://" | "aaas://" FQDN [ ":" port ] [ ";transport=" tcp|sctp|udp ] [ ";protocol=" diameter|radius|tacacs+ ]
 */
import type { DiameterUri } from './types.js';

const URI_RE = /^(aaas?):\/\/(\[[0-9A-Fa-f:.]+\]|[^:;/\s]+)(?::(\d{1,5}))?((?:;[A-Za-z]+=[A-Za-z+]+)*)$/i;

/** Parses a DiameterURI; returns undefined if the text is not one. */
export function parseDiameterUri(text: string): DiameterUri | undefined {
  const m = URI_RE.exec(text);
  if (!m) return undefined;
  const uri: DiameterUri = { text, scheme: m[1]!.toLowerCase() as 'aaa' | 'aaas', host: m[2]! };
  if (m[3] !== undefined) {
    const port = Number(m[3]);
    if (port > 65535) return undefined;
    uri.port = port;
  }
  for (const param of (m[4] ?? '').split(';').filter(Boolean)) {
    const [k, v] = param.split('=') as [string, string];
    const key = k.toLowerCase();
    const val = v.toLowerCase();
    if (key === 'transport' && (val === 'tcp' || val === 'sctp' || val === 'udp')) uri.transport = val;
    else if (key === 'protocol' && (val === 'diameter' || val === 'radius' || val === 'tacacs+')) uri.protocol = val;
    else return undefined;
  }
  // RFC 6733 §4.3.1: "The udp transport MUST NOT be used when the aaa-protocol field is set to diameter"
  // (diameter is the default protocol).
  if (uri.transport === 'udp' && (uri.protocol ?? 'diameter') === 'diameter') return undefined;
  return uri;
}

export function formatDiameterUri(u: Omit<DiameterUri, 'text'> & { text?: string }): string {
  if (u.text) return u.text;
  let s = `${u.scheme}://${u.host}`;
  if (u.port !== undefined) s += `:${u.port}`;
  if (u.transport) s += `;transport=${u.transport}`;
  if (u.protocol) s += `;protocol=${u.protocol}`;
  return s;
}
