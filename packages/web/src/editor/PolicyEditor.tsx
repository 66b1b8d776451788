import {
  autocompletion,
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import { api } from '../api/client';
import type { Finding } from '../api/types';
import { loadIamActions } from './iam-actions';
import { enclosingPropertyName, rangeOfPointer } from './json-pointer';
import { checkPolicy, type PolicyType } from './policy-check';

export interface PolicyEditorProps {
  value: string;
  onChange?: (text: string) => void;
  readOnly?: boolean;
  policyType: PolicyType;
  resourceArns?: string[];
  /** Told of every check, so the page can list findings beside the editor and disable Save on errors. */
  onFindings?: (findings: Finding[], checkerAvailable: boolean) => void;
  ariaLabel: string;
}

const CHECK_DELAY_MS = 400;

/** The string literal the cursor is in, without its opening quote: what completion replaces. */
function stringPrefix(context: CompletionContext) {
  const word = context.matchBefore(/"[^"\n]*/);
  if (!word) return undefined;
  return { from: word.from + 1, text: word.text.slice(1) };
}

async function completeAction(
  context: CompletionContext,
  prefix: { from: number; text: string },
): Promise<CompletionResult | null> {
  const actions = await loadIamActions();
  const [service, partial] = prefix.text.split(':');
  if (partial === undefined) {
    const options: Completion[] = [...actions.keys()]
      .filter((s) => s.startsWith(service ?? ''))
      .slice(0, 200)
      .map((s) => ({ label: `${s}:`, type: 'namespace', boost: 1 }));
    return { from: prefix.from, options, validFor: /^[a-z0-9-]*$/ };
  }
  const options: Completion[] = (actions.get(service ?? '') ?? []).map((a) => ({
    label: `${service}:${a.name}`,
    detail: a.level,
    type: 'function',
  }));
  options.push({ label: `${service}:*`, detail: 'every action', type: 'keyword' });
  return { from: prefix.from, options, validFor: /^[a-z0-9-]+:[A-Za-z0-9*]*$/ };
}

async function completeArn(
  context: CompletionContext,
  prefix: { from: number; text: string },
): Promise<CompletionResult | null> {
  if (prefix.text.length < 2) return null;
  const arns = await api<string[]>('/api/v2/typeahead/resources', {
    query: { typeahead: prefix.text, limit: 20 },
  }).catch(() => [] as string[]);
  if (context.aborted) return null;
  return { from: prefix.from, options: arns.map((arn) => ({ label: arn, type: 'variable' })), filter: false };
}

/** IAM actions where an Action is expected, ARNs of cached resources where a Resource is. */
async function policyCompletions(context: CompletionContext): Promise<CompletionResult | null> {
  const prefix = stringPrefix(context);
  if (!prefix) return null;
  const property = enclosingPropertyName(context.state, context.pos);
  if (property === 'Action' || property === 'NotAction') return completeAction(context, prefix);
  if (property === 'Resource' || property === 'NotResource') return completeArn(context, prefix);
  return null;
}

function toDiagnostic(state: EditorState, finding: Finding): Diagnostic {
  const pointer =
    finding.path ?? (finding.statementIndex === undefined ? '' : `/Statement/${finding.statementIndex}`);
  const range = rangeOfPointer(state, pointer);
  return {
    from: range.from,
    to: Math.max(range.to, range.from + 1),
    severity: finding.severity,
    message: finding.message,
    source: finding.code,
  };
}

/**
 * A JSON policy editor: highlighting, syntax errors at once, the policy checker's findings as you type
 * (after a short pause), and completion of IAM actions and resource ARNs. CodeMirror needs no workers.
 */
export default function PolicyEditor(props: PolicyEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (!host.current) return;
    let abort: AbortController | undefined;
    const findingsLinter = linter(
      async (editor) => {
        const text = editor.state.doc.toString();
        const syntax = jsonParseLinter()(editor);
        if (syntax.length > 0) return syntax;
        let policy: unknown;
        try {
          policy = JSON.parse(text);
        } catch {
          return [];
        }
        abort?.abort();
        abort = new AbortController();
        try {
          const { policyType, resourceArns } = latest.current;
          const result = await checkPolicy(policy, policyType, resourceArns, abort.signal);
          latest.current.onFindings?.(result.findings, result.available);
          return result.findings.map((f) => toDiagnostic(editor.state, f));
        } catch {
          return [];
        }
      },
      { delay: CHECK_DELAY_MS },
    );
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          basicSetup,
          json(),
          lintGutter(),
          findingsLinter,
          autocompletion({ override: [policyCompletions], activateOnTyping: true }),
          // Wrapped and as tall as its text: no scrolling box inside the page, which a keyboard could not
          // scroll when the editor is read-only, and which is awkward on a phone.
          EditorView.lineWrapping,
          EditorState.readOnly.of(latest.current.readOnly ?? false),
          EditorView.editable.of(!(latest.current.readOnly ?? false)),
          EditorView.contentAttributes.of({ 'aria-label': latest.current.ariaLabel }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange?.(update.state.doc.toString());
          }),
          EditorView.theme({
            '&': { fontSize: '13px', border: '1px solid #8c8c94', borderRadius: '8px' },
            '&.cm-focused': { outline: '2px solid #006ce0', outlineOffset: '1px' },
            '.cm-scroller': { fontFamily: 'Monaco, Menlo, Consolas, monospace', minHeight: '160px' },
          }),
        ],
      }),
    });
    view.current = editor;
    // Wrapped line heights depend on the web font; measure again once it has arrived.
    void document.fonts.ready.then(() => editor.requestMeasure());
    return () => {
      abort?.abort();
      editor.destroy();
      view.current = null;
    };
    // The editor is made once; later props are read through `latest`.
  }, []);

  // A new document from outside (another policy picked, a reset) replaces the text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== props.value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div ref={host} />;
}
