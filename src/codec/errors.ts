/**
 * Every error the codec, framer and validator raise has a stable `code`, the Result-Code a receiver
 * should answer with, and (when one AVP is at fault) the Failed-AVP to include — the way websockets/ws
 * pairs an error code with the close code to send. docs/errors.md lists them all.
 * Facts: RFC 6733 §7.1 (Result-Code values), §7.5 (Failed-AVP); base-protocol.md §8–§9.
 */
import type { Avp } from './types.js';

export const ResultCode = {
  SUCCESS: 2001,
  COMMAND_UNSUPPORTED: 3001,
  UNABLE_TO_DELIVER: 3002,
  REALM_NOT_SERVED: 3003,
  TOO_BUSY: 3004,
  LOOP_DETECTED: 3005,
  APPLICATION_UNSUPPORTED: 3007,
  INVALID_HDR_BITS: 3008,
  INVALID_AVP_BITS: 3009,
  UNKNOWN_PEER: 3010,
  OUT_OF_SPACE: 4002,
  ELECTION_LOST: 4003,
  AVP_UNSUPPORTED: 5001,
  UNKNOWN_SESSION_ID: 5002,
  INVALID_AVP_VALUE: 5004,
  MISSING_AVP: 5005,
  AVP_NOT_ALLOWED: 5008,
  AVP_OCCURS_TOO_MANY_TIMES: 5009,
  NO_COMMON_APPLICATION: 5010,
  UNSUPPORTED_VERSION: 5011,
  UNABLE_TO_COMPLY: 5012,
  INVALID_BIT_IN_HEADER: 5013,
  INVALID_AVP_LENGTH: 5014,
  INVALID_MESSAGE_LENGTH: 5015,
  INVALID_AVP_BIT_COMBO: 5016,
} as const;

/** Stable error codes. Never renumber or rename: users match on them. */
export const ErrorCode = {
  // framing (the stream is lost: close the connection)
  FRAME_BAD_VERSION: { resultCode: 5011, text: 'version is not 1' },
  FRAME_BAD_LENGTH: { resultCode: 5015, text: 'message length below 20 or not a multiple of 4' },
  FRAME_TOO_LONG: { resultCode: 5015, text: 'message length above the configured maximum' },
  // header
  HEADER_TRUNCATED: { resultCode: 5015, text: 'fewer than 20 octets' },
  HEADER_LENGTH_MISMATCH: { resultCode: 5015, text: 'Message Length does not match the octets' },
  HEADER_BAD_VERSION: { resultCode: 5011, text: 'version is not 1' },
  HEADER_E_BIT_ON_REQUEST: { resultCode: 3008, text: 'E bit set on a request' },
  // AVP layout
  AVP_TOO_SHORT: { resultCode: 5014, text: 'AVP length below its header size' },
  AVP_OVERRUN: { resultCode: 5014, text: 'AVP overruns its container' },
  AVP_BAD_SIZE: { resultCode: 5014, text: 'data size wrong for the AVP type' },
  AVP_BAD_VALUE: { resultCode: 5004, text: 'invalid AVP value' },
  AVP_BAD_UTF8: { resultCode: 5004, text: 'invalid UTF-8' },
  AVP_BAD_FLAGS: { resultCode: 5016, text: 'AVP flag combination not allowed' },
  AVP_TRAILING: { resultCode: 5014, text: 'octets left after the last AVP' },
  // dictionary / grammar
  AVP_UNSUPPORTED: { resultCode: 5001, text: 'unknown AVP with the M bit set' },
  AVP_MISSING: { resultCode: 5005, text: 'required AVP missing' },
  AVP_TOO_MANY: { resultCode: 5009, text: 'AVP occurs too many times' },
  AVP_NOT_ALLOWED: { resultCode: 5008, text: 'AVP not allowed here' },
  AVP_UNKNOWN_ENUM: { resultCode: 5004, text: 'unknown enumerated value' },
  // encoding (raised to the caller, never sent)
  ENCODE_BAD_VALUE: { resultCode: 5004, text: 'value cannot be encoded as the AVP type' },
  ENCODE_NO_TYPE: { resultCode: 5012, text: 'AVP has no data, type or children to encode' },
  // message form / dictionary use by name (CLI, JSON)
  UNKNOWN_NAME: { resultCode: 5012, text: 'unknown name' },
  BAD_MESSAGE_FORM: { resultCode: 5012, text: 'malformed message description' },
  DICTIONARY_CONFLICT: { resultCode: 5012, text: 'conflicting dictionary definitions' },
  DICTIONARY_BAD_FILE: { resultCode: 5012, text: 'dictionary file cannot be read' },
  // transport (raised to the caller of a request, never sent)
  REQUEST_TIMEOUT: { resultCode: 3002, text: 'no answer within the request timeout' },
  CONNECTION_CLOSED: { resultCode: 3002, text: 'connection closed before the answer' },
  PEER_NOT_OPEN: { resultCode: 3002, text: 'peer connection is not open' },
  // CDR store (accounting-rf.md §1.5, §5.6: a record that cannot be stored now is answered with 4002; a
  // CDF too busy to take it, 3004 with the E bit, so that the CTF turns to another CDF)
  STORE_WRITE_FAILED: { resultCode: 4002, text: 'records could not be stored' },
  STORE_OVERLOADED: { resultCode: 3004, text: 'too many records waiting to be stored' },
  STORE_CLOSED: { resultCode: 4002, text: 'the store is closed' },
  STORE_BAD_RECORD: { resultCode: 5012, text: 'record cannot be stored as given' },
  STORE_OPEN_FAILED: { resultCode: 5012, text: 'the store cannot be opened' },
  STORE_READ_FAILED: { resultCode: 5012, text: 'the store cannot be read' },
  STORE_SCHEMA_NEWER: { resultCode: 5012, text: 'database schema is newer than this diamkit' },
  // configuration (docs/config.md): raised to the caller, nothing goes on the wire
  CONFIG_INVALID: { resultCode: 5012, text: 'the config file cannot be used' },
  RULE_INVALID: { resultCode: 5012, text: 'the behaviour rule cannot be used' },
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

export interface DiameterErrorDetails {
  /** The AVP to put in Failed-AVP (RFC 6733 §7.5), already shaped as base-protocol.md §9.4 says. */
  failedAvp?: Avp;
  /** Byte offset in the message (or stream) where the problem is. */
  offset?: number;
  /** AVP path, outermost first, e.g. "Service-Information/IMS-Information/Event-Type" or "873:10415/876:10415". */
  path?: string;
  /** Overrides the Result-Code implied by the error code. */
  resultCode?: number;
}

export class DiameterError extends Error {
  readonly code: ErrorCodeName;
  readonly resultCode: number;
  readonly failedAvp?: Avp;
  readonly offset?: number;
  readonly path?: string;

  constructor(code: ErrorCodeName, detail?: string, details: DiameterErrorDetails = {}) {
    const base = ErrorCode[code];
    const where = [
      details.path !== undefined ? `at ${details.path}` : '',
      details.offset !== undefined ? `offset ${details.offset}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    super(`${code}: ${detail ?? base.text}${where ? ` (${where})` : ''}`);
    this.name = 'DiameterError';
    this.code = code;
    this.resultCode = details.resultCode ?? base.resultCode;
    this.failedAvp = details.failedAvp;
    this.offset = details.offset;
    this.path = details.path;
  }
}

export function isDiameterError(e: unknown): e is DiameterError {
  return e instanceof DiameterError;
}
