/**
 * A small XML reader for Wireshark's dictionary files: elements and attributes only (text content is
 * of no use in that format), with the DOCTYPE internal subset read for entity declarations and entity
 * references expanded, including external (SYSTEM) entities that pull in other files.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { DiameterError } from '../codec/errors.js';

/** One element, with the file and line it came from so messages can point at it. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  file: string;
  line: number;
}

type Entity = { kind: 'system'; path: string } | { kind: 'text'; text: string; file: string };

/** How deep entity references may nest: a real dictionary uses one level. */
const MAX_ENTITY_DEPTH = 8;

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

class XmlReader {
  private readonly entities = new Map<string, Entity>();

  /** Reads a file and returns its top-level elements (a fragment may have several). */
  readFile(path: string, including: string[] = []): XmlElement[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const from = including.length > 0 ? ` (included from ${including[including.length - 1]})` : '';
      throw new DiameterError('DICTIONARY_BAD_FILE', `${path}: cannot read${from}: ${why}`);
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark
    return this.parse(text, path, [...including, resolvePath(path)]);
  }

  private parse(text: string, file: string, stack: string[]): XmlElement[] {
    const lineOf = lineIndex(text);
    const fail = (offset: number, msg: string): never => {
      throw new DiameterError('DICTIONARY_BAD_FILE', `${file}:${lineOf(offset)}: ${msg}`);
    };
    const top: XmlElement[] = [];
    const open: XmlElement[] = [];
    const append = (el: XmlElement) => (open.length > 0 ? open[open.length - 1]!.children : top).push(el);

    let i = 0;
    while (i < text.length) {
      const lt = text.indexOf('<', i);
      const end = lt < 0 ? text.length : lt;
      if (end > i) this.expandReferences(text, i, end, file, stack, append, fail);
      if (lt < 0) break;

      if (text.startsWith('<!--', lt)) {
        i = skipPast(text, lt + 4, '-->', () => fail(lt, 'comment is never closed'));
      } else if (text.startsWith('<?', lt)) {
        i = skipPast(text, lt + 2, '?>', () => fail(lt, 'processing instruction is never closed'));
      } else if (text.startsWith('<![CDATA[', lt)) {
        i = skipPast(text, lt + 9, ']]>', () => fail(lt, 'CDATA section is never closed'));
      } else if (text.startsWith('<!DOCTYPE', lt)) {
        i = this.readDoctype(text, lt, file, fail);
      } else if (text[lt + 1] === '/') {
        END_TAG.lastIndex = lt;
        const m = END_TAG.exec(text);
        if (!m) return fail(lt, 'malformed end tag');
        const el = open.pop();
        if (!el) return fail(lt, `</${m[1]}> closes nothing`);
        if (el.name !== m[1]) fail(lt, `</${m[1]}> does not close <${el.name}> opened at line ${el.line}`);
        i = END_TAG.lastIndex;
      } else {
        START_TAG.lastIndex = lt;
        const m = START_TAG.exec(text);
        if (!m) return fail(lt, 'malformed tag');
        const el: XmlElement = { name: m[1]!, attrs: {}, children: [], file, line: lineOf(lt) };
        let j = START_TAG.lastIndex;
        for (;;) {
          while (j < text.length && /\s/.test(text[j]!)) j++;
          if (text.startsWith('/>', j)) {
            append(el);
            j += 2;
            break;
          }
          if (text[j] === '>') {
            append(el);
            open.push(el);
            j += 1;
            break;
          }
          ATTRIBUTE.lastIndex = j;
          const a = ATTRIBUTE.exec(text);
          if (!a) return fail(j, `malformed attribute in <${el.name}>`);
          el.attrs[a[1]!] = decodeAttribute(a[2] ?? a[3] ?? '');
          j = ATTRIBUTE.lastIndex;
        }
        i = j;
      }
    }
    if (open.length > 0) {
      const el = open[open.length - 1]!;
      throw new DiameterError('DICTIONARY_BAD_FILE', `${file}:${el.line}: <${el.name}> is never closed`);
    }
    return top;
  }

  /** Character data: only entity references matter; a declared entity's content is spliced in. */
  private expandReferences(
    text: string,
    from: number,
    to: number,
    file: string,
    stack: string[],
    append: (el: XmlElement) => void,
    fail: (offset: number, msg: string) => never,
  ): void {
    // A bounded scan: indexOf or a regex from `from` would search on to the next '&' of the whole file
    // for every run of text, quadratic on a file whose only references are at its end.
    for (let amp = from; amp < to; amp++) {
      if (text.charCodeAt(amp) !== 0x26 /* & */) continue;
      REFERENCE.lastIndex = amp;
      const m = REFERENCE.exec(text);
      if (!m || REFERENCE.lastIndex > to) continue; // a stray '&': not ours to judge
      const name = m[1]!;
      if (name.startsWith('#') || name in PREDEFINED) continue;
      const entity = this.entities.get(name);
      if (!entity) return fail(amp, `entity &${name}; is not declared`);
      if (stack.length > MAX_ENTITY_DEPTH) fail(amp, `entities nest deeper than ${MAX_ENTITY_DEPTH}`);
      if (entity.kind === 'system') {
        if (stack.includes(resolvePath(entity.path)))
          fail(amp, `entity &${name}; includes itself (${entity.path})`);
        for (const el of this.readFile(entity.path, stack)) append(el);
      } else {
        for (const el of this.parse(entity.text, entity.file, [...stack, `&${name};`])) append(el);
      }
    }
  }

  /** `<!DOCTYPE name [ … ]>`: records `<!ENTITY>` declarations, skips everything else. */
  private readDoctype(
    text: string,
    start: number,
    file: string,
    fail: (offset: number, msg: string) => never,
  ): number {
    let i = start + '<!DOCTYPE'.length;
    // External id and name: up to '[' or '>', skipping quoted literals.
    for (; i < text.length && text[i] !== '[' && text[i] !== '>'; i++) {
      if (text[i] === '"' || text[i] === "'")
        i = closingQuote(text, i, () => fail(start, 'unterminated literal in DOCTYPE'));
    }
    if (text[i] === '[') {
      i++;
      for (;;) {
        while (i < text.length && /\s/.test(text[i]!)) i++;
        if (i >= text.length) return fail(start, 'DOCTYPE is never closed');
        if (text[i] === ']') {
          i++;
          break;
        }
        if (text.startsWith('<!--', i)) {
          i = skipPast(text, i + 4, '-->', () => fail(i, 'comment is never closed'));
        } else if (text.startsWith('<?', i)) {
          i = skipPast(text, i + 2, '?>', () => fail(i, 'processing instruction is never closed'));
        } else if (text.startsWith('<!ENTITY', i)) {
          ENTITY_DECL.lastIndex = i;
          const m = ENTITY_DECL.exec(text);
          if (!m) return fail(i, 'malformed <!ENTITY> declaration');
          const [, percent, name, system, , publicSystem, literal] = m;
          // XML 1.0 §4.2: the first declaration of an entity binds; parameter entities (%) are not ours.
          if (!percent && !this.entities.has(name!)) {
            const sys = system ?? publicSystem;
            if (sys !== undefined) {
              // XML 1.0 §4.2.2: a relative system identifier is relative to the declaring file.
              const target = unquote(sys);
              this.entities.set(name!, {
                kind: 'system',
                path: isAbsolute(target) ? target : join(dirname(file), target),
              });
            } else {
              this.entities.set(name!, { kind: 'text', text: unquote(literal!), file });
            }
          }
          i = ENTITY_DECL.lastIndex;
        } else if (text[i] === '<') {
          // <!ELEMENT>, <!ATTLIST>, <!NOTATION>: skip to the closing '>' outside quotes.
          for (i++; i < text.length && text[i] !== '>'; i++) {
            if (text[i] === '"' || text[i] === "'")
              i = closingQuote(text, i, () => fail(i, 'unterminated literal'));
          }
          i++;
        } else if (text[i] === '%') {
          const semi = text.indexOf(';', i);
          if (semi < 0) return fail(i, 'malformed parameter entity reference');
          i = semi + 1;
        } else {
          return fail(i, 'unexpected text in DOCTYPE');
        }
      }
      while (i < text.length && /\s/.test(text[i]!)) i++;
    }
    if (text[i] !== '>') return fail(start, 'DOCTYPE is never closed');
    return i + 1;
  }
}

const NAME = '[A-Za-z_:][-\\w.:]*';
const REFERENCE = /&(#?[-\w.:]+);/y;
const START_TAG = new RegExp(`<(${NAME})`, 'y');
const END_TAG = new RegExp(`</(${NAME})\\s*>`, 'y');
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'y');
const LITERAL = `("[^"]*"|'[^']*')`;
const ENTITY_DECL = new RegExp(
  `<!ENTITY\\s+(%\\s+)?(${NAME})\\s+(?:SYSTEM\\s+${LITERAL}|PUBLIC\\s+${LITERAL}\\s+${LITERAL}|${LITERAL})\\s*(?:NDATA\\s+${NAME}\\s*)?>`,
  'y',
);

function skipPast(text: string, from: number, marker: string, onMissing: () => never): number {
  const at = text.indexOf(marker, from);
  if (at < 0) onMissing();
  return at + marker.length;
}

function closingQuote(text: string, at: number, onMissing: () => never): number {
  const close = text.indexOf(text[at]!, at + 1);
  if (close < 0) onMissing();
  return close;
}

function unquote(literal: string): string {
  return literal.slice(1, -1);
}

function decodeAttribute(raw: string): string {
  return raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return PREDEFINED[ref]!;
  });
}

/** offset → 1-based line number, by binary search over the newline offsets. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Reads an XML file, expanding its external entities; returns the top-level elements. */
export function readXmlWithEntities(path: string): XmlElement[] {
  return new XmlReader().readFile(path);
}
