/**
 * RFC 6733 §5.6.4 election: when both nodes connect to each other at once, the responder compares its
 * own Origin-Host with the Origin-Host of the received CER "as two streams of octets"; if the local one
 * lexicographically succeeds the peer's, it wins (Win-Election): it closes the connection it initiated
 * and keeps the peer-initiated one. Because identities are DNS names, ASCII letters compare
 * case-insensitively (the RFC requires 'a'–'z' to equal 'A'–'Z'). base-protocol.md §10.1.
 */

export type ElectionResult = 'win' | 'lose';

/** An Origin-Host as text or as the raw octets of the AVP (DiameterIdentity is OctetString on the wire). */
export type DiameterIdentityInput = string | Uint8Array;

function octets(identity: DiameterIdentityInput): Uint8Array {
  return typeof identity === 'string' ? Buffer.from(identity, 'utf8') : identity;
}

/**
 * Folds an ASCII upper-case letter to lower case. The RFC only says the two cases compare equal; folding
 * down rather than up changes the order only against the six octets 0x5B–0x60 ("[\]^_`"), which a valid
 * host name never contains.
 */
function fold(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/**
 * Lexicographic comparison of two Diameter identities as unsigned octets, ASCII case-insensitive.
 * A proper prefix sorts first. Returns a negative number, 0 or a positive number.
 */
export function compareIdentities(a: DiameterIdentityInput, b: DiameterIdentityInput): number {
  const x = octets(a);
  const y = octets(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = fold(x[i]!) - fold(y[i]!);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The local node's election result. Only a strictly greater local identity wins: with equal identities
 * (the peer claims our own name — a loop or a misconfiguration) the RFC issues no Win-Election, so this
 * returns 'lose'; callers that want to refuse such a peer should test `compareIdentities(...) === 0`
 * before electing.
 */
export function elect(
  localOriginHost: DiameterIdentityInput,
  peerOriginHost: DiameterIdentityInput,
): ElectionResult {
  return compareIdentities(localOriginHost, peerOriginHost) > 0 ? 'win' : 'lose';
}
