import { load } from "js-yaml";
import { POLICY_YAML_SCHEMA } from "./yaml-numbers.js";

/**
 * Where the nodes of a YAML document start, read from js-yaml's parse events: enough to place the
 * warnings of a plain file at FILE:LINE:COL without loading the `yaml` library, whose load and
 * parse cost a start of wrap tens of milliseconds. A document with anything this reading does not
 * follow exactly (anchors, aliases, tags, explicit keys, a byte-order mark) gets null, and the
 * caller places with the `yaml` library instead.
 */

/** One node: where its text starts, what it is, and its children (a mapping's alternate key, value). */
export interface PositionNode {
  start: number;
  kind: "mapping" | "sequence" | "scalar" | "empty";
  /** The scalar's value (a mapping key's is what a path segment is compared with). */
  value: unknown;
  children: PositionNode[];
}

interface Frame {
  /** Where js-yaml was when it began the node: before the separating whitespace, when it seeks. */
  opened: number;
  kind: string | null;
  result: unknown;
  children: Frame[];
}

/**
 * Records js-yaml's parse events (pass `listener` to its load): a few fields per node, so the
 * parse that reads the policy also tells where its nodes are, without a second parse.
 */
export class PositionRecorder {
  private readonly stack: Frame[] = [{ opened: 0, kind: null, result: undefined, children: [] }];

  readonly listener = (
    event: "open" | "close",
    state: { position: number; kind: string | null; result: unknown },
  ) => {
    if (event === "open") {
      this.stack.push({ opened: state.position, kind: null, result: undefined, children: [] });
      return;
    }
    const frame = this.stack.pop() as Frame;
    frame.kind = state.kind;
    frame.result = state.result;
    this.stack[this.stack.length - 1]?.children.push(frame);
  };

  /** The root node of the recorded parse of `text`, or null when it cannot be followed (see above). */
  root(text: string): PositionNode | null {
    if (text.charCodeAt(0) === 0xfeff || this.stack.length !== 1) return null;
    const document = this.stack[0]?.children[0];
    return document === undefined ? null : nodeOf(text, document);
  }
}

/** The root node of `text` parsed as js-yaml parses policies, or null when it cannot be followed (see above). */
export function yamlPositions(text: string): PositionNode | null {
  const recorder = new PositionRecorder();
  try {
    load(text, { schema: POLICY_YAML_SCHEMA, listener: recorder.listener });
  } catch {
    return null;
  }
  return recorder.root(text);
}

/** A frame as a node; null where it holds what this reading does not follow. */
function nodeOf(text: string, frame: Frame): PositionNode | null {
  let inner = frame;
  // js-yaml opens a node twice where a sequence item is a flow collection (both start at one place).
  while (inner.children.length === 1 && sameNode(inner, inner.children[0] as Frame)) {
    const child = inner.children[0] as Frame;
    if (contentStart(text, inner.opened) !== contentStart(text, child.opened)) return null;
    inner = child;
  }
  const start = contentStart(text, inner.opened);
  const first = text[start];
  // Properties (&anchor, !tag), aliases and explicit keys: the `yaml` library places those.
  if (first === "&" || first === "!" || first === "*" || first === "?") return null;
  if (inner.kind === "mapping" || inner.kind === "sequence") {
    if (inner.kind === "mapping" && inner.children.length % 2 !== 0) return null;
    const children: PositionNode[] = [];
    for (const child of inner.children) {
      const node = nodeOf(text, child);
      if (node === null) return null;
      children.push(node);
    }
    return { start, kind: inner.kind, value: inner.result, children };
  }
  if (inner.children.length !== 0) return null;
  if (inner.kind === null)
    return inner.result === null ? { start, kind: "empty", value: null, children: [] } : null;
  return { start, kind: "scalar", value: inner.result, children: [] };
}

function sameNode(outer: Frame, inner: Frame): boolean {
  return outer.kind === inner.kind && Object.is(outer.result, inner.result);
}

/** The first offset at or after `from` that is not whitespace, a line break or a comment. */
function contentStart(text: string, from: number): number {
  let at = from;
  while (at < text.length) {
    const char = text[at];
    if (char === " " || char === "\t" || char === "\n" || char === "\r") {
      at++;
    } else if (char === "#") {
      while (at < text.length && text[at] !== "\n") at++;
    } else {
      break;
    }
  }
  return at;
}
