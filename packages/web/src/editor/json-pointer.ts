import { syntaxTree } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';
import type { SyntaxNode } from '@lezer/common';

/** The value nodes of an Array or Object node (skipping brackets, commas and property names). */
function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!['[', ']', '{', '}', ','].includes(child.name) && !child.type.isError) out.push(child);
  }
  return out;
}

const unquote = (state: EditorState, node: SyntaxNode) => {
  const text = state.sliceDoc(node.from, node.to);
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.replace(/^"|"$/g, '');
  }
};

/**
 * Where a JSON pointer (`/Statement/0/Action`) points in the document, so a finding underlines the
 * exact value. Falls back to the deepest part of the path that exists.
 */
export function rangeOfPointer(state: EditorState, pointer: string): { from: number; to: number } {
  const top = syntaxTree(state).topNode.firstChild;
  if (!top) return { from: 0, to: Math.min(1, state.doc.length) };
  let node: SyntaxNode = top;
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const segment of segments) {
    let next: SyntaxNode | undefined;
    if (node.name === 'Object') {
      const property = children(node).find((p) => {
        const name = p.getChild('PropertyName');
        return name !== null && unquote(state, name) === segment;
      });
      next = property?.lastChild ?? undefined;
    } else if (node.name === 'Array') {
      next = children(node)[Number(segment)];
    }
    if (!next) break;
    node = next;
  }
  return { from: node.from, to: node.to };
}

/** The name of the property whose value (or array element) the position is in: "Action", "Resource"… */
export function enclosingPropertyName(state: EditorState, pos: number): string | undefined {
  for (let node: SyntaxNode | null = syntaxTree(state).resolveInner(pos, -1); node; node = node.parent) {
    if (node.name === 'Property') {
      const name = node.getChild('PropertyName');
      return name ? unquote(state, name) : undefined;
    }
  }
  return undefined;
}
