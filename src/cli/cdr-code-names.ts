/**
 * TS 32.298 names of the numbers a CDR carries, for people reading the CLI's output: RecordType
 * (accounting-rf.md §6.1) and the closing causes (§6.4), whose numbering depends on the record's kind.
 */
import type { CdrKind } from '../cdf/store.js';

/** accounting-rf.md §6.1 RecordType values. */
const RECORD_TYPES: Record<number, string> = {
  18: 'sgsnPDPRecord',
  19: 'ggsnPDPRecord',
  63: 'sCSCFRecord',
  64: 'pCSCFRecord',
  65: 'iCSCFRecord',
  66: 'mRFCRecord',
  67: 'mGCFRecord',
  68: 'bGCFRecord',
  69: 'aSRecord',
  70: 'eCSCFRecord',
  82: 'iBCFRecord',
  83: 'mMTelRecord',
  84: 'sGWRecord',
  85: 'pGWRecord',
  92: 'tDFRecord',
  95: 'iPERecord',
  96: 'ePDGRecord',
  97: 'tWAGRecord',
};

/** §6.4 IMS CauseForRecordClosing (ENUMERATED). */
const IMS_CAUSES: Record<number, string> = {
  0: 'serviceDeliveryEndSuccessfully',
  1: 'unSuccessfulServiceDelivery',
  3: 'timeLimit',
  4: 'serviceChange',
  5: 'managementIntervention',
};

/** §6.4 P-GW / S-GW CauseForRecClosing (INTEGER). */
const PGW_CAUSES: Record<number, string> = {
  0: 'normalRelease',
  1: 'partialRecord',
  4: 'abnormalRelease',
  5: 'cAMELInitCallRelease',
  16: 'volumeLimit',
  17: 'timeLimit',
  18: 'servingNodeChange',
  19: 'maxChangeCond',
  20: 'managementIntervention',
  21: 'intraSGSNIntersystemChange',
  22: 'rATChange',
  23: 'mSTimeZoneChange',
  24: 'sGSNPLMNIDChange',
  25: 'sGWChange',
  26: 'aPNAMBRChange',
  27: 'mOExceptionDataCounterReceipt',
  52: 'unauthorizedRequestingNetwork',
  53: 'unauthorizedLCSClient',
  54: 'positionMethodFailure',
  58: 'unknownOrUnreachableLCSClient',
  59: 'listofDownstreamNodeChange',
};

export function recordTypeName(recordType: number | undefined): string | undefined {
  return recordType === undefined ? undefined : RECORD_TYPES[recordType];
}

/**
 * The name of a CDR's causeForRecordClosing: P-GW (and S-GW) records number it as CauseForRecClosing;
 * IMS, event and generic records as IMS CauseForRecordClosing (docs/cdr.md, "Closing causes"). Undefined
 * for a number the table lacks or a kind the CDF does not write.
 */
export function closingCauseName(kind: CdrKind, cause: number): string | undefined {
  if (kind === 'pgw' || kind === 'sgw') return PGW_CAUSES[cause];
  if (kind === 'ims' || kind === 'event' || kind === 'generic') return IMS_CAUSES[cause];
  return undefined;
}
