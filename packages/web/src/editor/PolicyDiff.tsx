import { json } from '@codemirror/lang-json';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

/** Old and new side by side, read-only, changed lines marked (@codemirror/merge). */
export default function PolicyDiff({ before, after }: { before: string; after: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const readOnly = [
      basicSetup,
      json(),
      EditorView.lineWrapping,
      EditorState.readOnly.of(true),
      EditorView.editable.of(false),
    ];
    const merge = new MergeView({
      parent: host.current,
      a: {
        doc: before,
        extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': 'Current policy' })],
      },
      b: {
        doc: after,
        extensions: [...readOnly, EditorView.contentAttributes.of({ 'aria-label': 'Proposed policy' })],
      },
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    return () => merge.destroy();
  }, [before, after]);
  return <div ref={host} style={{ border: '1px solid #8c8c94', borderRadius: 8, fontSize: 13 }} />;
}
