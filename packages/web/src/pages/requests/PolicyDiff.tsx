import { json } from '@codemirror/lang-json';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

// CodeMirror's default gutter grey fails WCAG AA contrast; Cloudscape's secondary text colour passes.
const theme = EditorView.theme({
  '.cm-gutters': { color: '#414d5c', backgroundColor: '#f4f4f4' },
  '.cm-collapsedLines': { color: '#16191f' },
});

const readOnly = (side: string) => [
  basicSetup,
  json(),
  theme,
  EditorState.readOnly.of(true),
  EditorView.editable.of(false),
  EditorView.lineWrapping,
  // The content is a textbox to assistive technology, and a textbox needs a name.
  EditorView.contentAttributes.of({ 'aria-label': side }),
];

/**
 * Old and new policy side by side (@codemirror/merge), read-only, unchanged stretches folded. The
 * wrapper is focusable so a keyboard user can scroll a long document.
 */
export function PolicyDiff({ label, before, after }: { label: string; before: string; after: string }) {
  const parent = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!parent.current) return;
    const view = new MergeView({
      a: { doc: before, extensions: readOnly(`${label}, before`) },
      b: { doc: after, extensions: readOnly(`${label}, after`) },
      parent: parent.current,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true,
    });
    return () => view.destroy();
  }, [label, before, after]);
  return (
    <div>
      <div style={{ display: 'flex', fontWeight: 700, fontSize: 13 }} aria-hidden="true">
        <div style={{ flex: 1 }}>Before</div>
        <div style={{ flex: 1 }}>After</div>
      </div>
      <div
        ref={parent}
        role="region"
        aria-label={`${label}: the policy before (left) and after (right)`}
        tabIndex={0}
        data-testid="policy-diff"
        style={{
          maxHeight: 480,
          overflow: 'auto',
          border: '1px solid #8c8c94',
          borderRadius: 8,
          fontSize: 13,
        }}
      />
    </div>
  );
}
