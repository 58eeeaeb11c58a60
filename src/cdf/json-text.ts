/**
 * JSON that is already text. The CDR builder writes a CDR's raw AVPs (store.ts Cdr.rawAvps) straight from
 * the decoded ACRs as JSON text (message-format.ts avpsToJsonText); a store writes the text as it is
 * instead of serialising an object tree. Anything else that serialises a Cdr before it is stored
 * (JSON.stringify, a test's deepEqual through JSON) sees the parsed value through toJSON().
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
