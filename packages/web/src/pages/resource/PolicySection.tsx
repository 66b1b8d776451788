import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { lazy, Suspense, useState } from 'react';
import type { Finding } from '../../api/types';
import type { PolicyType } from '../../editor/policy-check';
import { PageLoading } from '../../components/PageLoading';
import type { EditTarget } from './change-models';
import { SaveDialog } from './SaveDialog';

const PolicyEditor = lazy(() => import('../../editor/PolicyEditor'));

const SEVERITY_TYPE = { error: 'error', warning: 'warning', info: 'info' } as const;

/**
 * One policy document: shown in the editor, checked as it is typed, and saved as a request (previewed
 * with a dry run first). Without `target` it is read-only (a managed policy attached elsewhere, a config).
 */
export function PolicySection({
  title,
  description,
  document,
  policyType,
  target,
  resourceArns,
}: {
  title: string;
  description?: string;
  document: string;
  policyType: PolicyType;
  target?: EditTarget;
  resourceArns?: string[];
}) {
  const [text, setText] = useState(document);
  const [findings, setFindings] = useState<Finding[]>([]);
  const [checker, setChecker] = useState(true);
  const [saving, setSaving] = useState(false);
  let parsed: unknown;
  let syntaxError: string | undefined;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    syntaxError = error instanceof Error ? error.message : String(error);
  }
  const changed = text !== document;
  const errors = findings.filter((f) => f.severity === 'error');

  return (
    <Container
      header={
        <Header
          variant="h2"
          description={description}
          actions={
            target && (
              <SpaceBetween size="xs" direction="horizontal">
                <Button disabled={!changed} onClick={() => setText(document)}>
                  Reset
                </Button>
                <Button
                  variant="primary"
                  disabled={!changed || syntaxError !== undefined}
                  disabledReason={syntaxError ? 'The JSON is not valid' : 'Nothing changed yet'}
                  onClick={() => setSaving(true)}
                >
                  Review and request
                </Button>
              </SpaceBetween>
            )
          }
        >
          {title}
        </Header>
      }
    >
      <SpaceBetween size="s">
        <Suspense fallback={<PageLoading label="Loading the editor" />}>
          <PolicyEditor
            value={text}
            onChange={setText}
            readOnly={!target}
            policyType={policyType}
            {...(resourceArns ? { resourceArns } : {})}
            ariaLabel={`${title} (JSON)`}
            onFindings={(next, available) => {
              setFindings(next);
              setChecker(available);
            }}
          />
        </Suspense>
        {syntaxError && <StatusIndicator type="error">Not valid JSON: {syntaxError}</StatusIndicator>}
        {!checker && (
          <Box color="text-body-secondary" fontSize="body-s">
            This Rolecall has no policy checker: only JSON syntax is checked here.
          </Box>
        )}
        {findings.length > 0 && (
          <ul aria-label="Policy findings" style={{ margin: 0, paddingLeft: 0, listStyle: 'none' }}>
            {findings.map((f, i) => (
              <li key={`${f.code}-${i}`}>
                <StatusIndicator type={SEVERITY_TYPE[f.severity]}>
                  <Box variant="code" display="inline">
                    {f.code}
                  </Box>{' '}
                  {f.message}
                </StatusIndicator>
              </li>
            ))}
          </ul>
        )}
        {errors.length > 0 && changed && (
          <Alert type="warning">
            The checker found {errors.length} error{errors.length === 1 ? '' : 's'}; reviewers will see them
            too.
          </Alert>
        )}
      </SpaceBetween>
      {saving && target && (
        <SaveDialog
          title={title}
          target={target}
          before={document}
          after={text}
          document={parsed}
          onClose={() => setSaving(false)}
        />
      )}
    </Container>
  );
}
