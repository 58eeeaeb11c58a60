/**
 * diamkit's public API: the one curated list of what other programs may import (like nats.js mod.ts).
 * Anything not exported here is internal and may change.
 */

// codec: pure functions over bytes
export { decodeMessage, encodeMessage, type DecodeOptions } from './codec/message.js';
export { decodeAvps, encodeAvp } from './codec/avp.js';
export { Framer, DEFAULT_MAX_MESSAGE_LENGTH } from './codec/framer.js';
export { readHeader, type Header } from './codec/header.js';
export { DiameterError, ErrorCode, ResultCode, isDiameterError, type ErrorCodeName } from './codec/errors.js';
export { parseDiameterUri, formatDiameterUri } from './codec/uri.js';
export { ntpToUnixSeconds, unixSecondsToNtp } from './codec/time.js';
export {
  FLAG_R,
  FLAG_P,
  FLAG_E,
  FLAG_T,
  AVP_V,
  AVP_M,
  AVP_P,
  type Avp,
  type AvpValue,
  type DataType,
  type DiameterUri,
  type Message,
  type OtherAddress,
  type AvpTypeResolver,
} from './codec/types.js';

// dictionary: data, lookups, validation, loaders, the JSON/YAML and text forms
export { Dictionary } from './dictionary/dictionary.js';
export { builtinDictionary, defaultDictionary } from './dictionary/builtin.js';
export { loadDictionaryFile, loadDictionaries } from './dictionary/load.js';
export { validateMessage } from './dictionary/validate.js';
export { getAvp, getAvps, getValue, findAvp } from './dictionary/accessors.js';
export { messageToJson, messageFromJson, avpToJson, avpFromJson, type MessageJson, type AvpJson } from './dictionary/message-format.js';
export { formatMessageTree, formatMessageLine } from './dictionary/text-format.js';
export type { AvpDef, CommandDef, ApplicationDef, Grammar, GrammarRule, DictionaryData } from './dictionary/types.js';

// peer and node
export { Connection, type ConnectionOptions, type ConnectionOwner } from './peer/connection.js';
export { Peer } from './peer/peer.js';
export { Watchdog, type WatchdogState } from './peer/watchdog.js';
export { PEER_STATE_TABLE, transition, type PeerState, type PeerEvent } from './peer/state-machine.js';
export { channels as diagnosticsChannels } from './peer/diagnostics.js';
export { errorAnswerChannel, type ErrorAnswerEvent } from './node/error-answers.js';
export { anomalyChannel, type AnomalyEvent } from './cdf/anomaly-events.js';
export { DiameterNode, type NodeOptions, type ListenOptions, type PeerTarget } from './node/node.js';
export type { Application, RequestHandler, RequestContext } from './node/handlers.js';
export { buildAnswer, buildErrorAnswer } from './node/answers.js';
export type { Identity } from './node/identity.js';

// client: one request, scenarios
export { DiameterClient } from './client/send.js';
export { loadScenario } from './client/scenario.js';
export { runScenario } from './client/runner.js';
export { checkAnswer } from './client/expect.js';

// client: load generation
export { runLoad } from './client/load/run-load.js';
export type { LoadOptions } from './client/load/options.js';
export { formatReport as formatLoadReport, type LoadReport } from './client/load/report.js';
