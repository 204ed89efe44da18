/**
 * Replace one member of a JSON object inside its original text, leaving every other byte alone.
 *
 * Why not `JSON.stringify(JSON.parse(text))`: a round trip through JS values changes a spec in ways
 * runhcs would see. Integer-like keys (`"10"`, `"2"`) move to the front of their object, numbers
 * beyond 2^53 (uint64 memory limits, for instance) lose digits, `1.0` becomes `1`, and formatting is
 * lost. Splicing only the member we own keeps everything else byte-identical.
 *
 * Precondition for every function here: the text is valid JSON (the caller has already run
 * `JSON.parse` on it). The scanner is therefore minimal; it only tracks strings and nesting.
 */

/** Where one member of an object sits in the text. Offsets are absolute indexes into the text. */
interface MemberSpan {
  key: string;
  keyStart: number;
  /** Text between the end of the key and the start of the value, e.g. `": "`. */
  colon: string;
  valueStart: number;
  valueEnd: number;
}

const WHITESPACE = " \t\n\r";

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.includes(text[i] as string)) i++;
  return i;
}

function expectChar(text: string, i: number, ch: string): void {
  if (text[i] !== ch)
    throw new Error(`json-splice: expected '${ch}' at offset ${i} (text is not valid JSON)`);
}

/** Index just past the string starting at `i` (which must be a `"`). */
function skipString(text: string, i: number): number {
  expectChar(text, i, '"');
  for (i++; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new Error("json-splice: unterminated string");
}

/** Index just past the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return skipString(text, i);
  if (first === "{" || first === "[") {
    let depth = 0;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i = skipString(text, i);
        continue;
      }
      if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new Error("json-splice: unterminated container");
  }
  while (i < text.length && !",}] \t\n\r".includes(text[i] as string)) i++;
  return i;
}

/** The members of the object whose `{` is the first non-blank character at or after `start`. */
function scanObject(text: string, start: number): { members: MemberSpan[]; close: number } {
  let i = skipWhitespace(text, start);
  expectChar(text, i, "{");
  i = skipWhitespace(text, i + 1);
  const members: MemberSpan[] = [];
  if (text[i] === "}") return { members, close: i };
  for (;;) {
    const keyStart = i;
    const keyEnd = skipString(text, keyStart);
    const colonAt = skipWhitespace(text, keyEnd);
    expectChar(text, colonAt, ":");
    const valueStart = skipWhitespace(text, colonAt + 1);
    const valueEnd = skipValue(text, valueStart);
    const key = JSON.parse(text.slice(keyStart, keyEnd)) as string;
    members.push({ key, keyStart, colon: text.slice(keyEnd, valueStart), valueStart, valueEnd });
    i = skipWhitespace(text, valueEnd);
    if (text[i] === ",") {
      i = skipWhitespace(text, i + 1);
      continue;
    }
    expectChar(text, i, "}");
    return { members, close: i };
  }
}

/**
 * The text of the value of member `key` of the object `objectText`, or undefined when absent.
 * With duplicate keys the last one wins, as in `JSON.parse`.
 */
export function memberText(objectText: string, key: string): string | undefined {
  const hit = scanObject(objectText, 0).members.findLast((m) => m.key === key);
  return hit && objectText.slice(hit.valueStart, hit.valueEnd);
}

/**
 * `objectText` with member `key` set to `valueJson` (already-serialized JSON).
 *
 * An existing member (the last one, if duplicated) has only its value replaced. A new member is
 * appended after the last one, copying that member's indentation and colon spacing so a
 * pretty-printed file stays readable.
 */
export function setMember(objectText: string, key: string, valueJson: string): string {
  const { members, close } = scanObject(objectText, 0);
  const hit = members.findLast((m) => m.key === key);
  if (hit) return objectText.slice(0, hit.valueStart) + valueJson + objectText.slice(hit.valueEnd);
  const last = members.at(-1);
  if (!last)
    return `${objectText.slice(0, close)}${JSON.stringify(key)}:${valueJson}${objectText.slice(close)}`;
  let indentStart = last.keyStart;
  while (indentStart > 0 && WHITESPACE.includes(objectText[indentStart - 1] as string)) indentStart--;
  const indent = objectText.slice(indentStart, last.keyStart);
  const entry = `,${indent}${JSON.stringify(key)}${last.colon}${valueJson}`;
  return objectText.slice(0, last.valueEnd) + entry + objectText.slice(last.valueEnd);
}
