import Alert from '@cloudscape-design/components/alert';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import Container from '@cloudscape-design/components/container';
import DatePicker from '@cloudscape-design/components/date-picker';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import KeyValuePairs from '@cloudscape-design/components/key-value-pairs';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Textarea from '@cloudscape-design/components/textarea';
import TimeInput from '@cloudscape-design/components/time-input';
import Wizard from '@cloudscape-design/components/wizard';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useSession } from '../../api/session';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageLoading } from '../../components/PageLoading';
import { ChangeReview } from '../requests/ChangeReview';
import { createRequest, type Change } from '../requests/requests-api';
import {
  generateChanges,
  isPrincipalArn,
  PRINCIPAL_TYPEAHEAD,
  readAccessDenied,
  usePermissionTemplates,
  useSelfServiceConfig,
  useTypeahead,
  type AccessDeniedAnswer,
  type ChangeGenerator,
  type SelfServicePermission,
} from './selfservice-api';

type WhatMode = 'permissions' | 'policy';
type ExpiryMode = 'none' | 'duration' | 'until';

interface WizardState {
  principal: string;
  mode: WhatMode;
  generatorType: string;
  inputs: Record<string, string>;
  actionGroups: string[];
  policyText: string;
  templateKey: string;
  expiryMode: ExpiryMode;
  duration: string;
  untilDate: string;
  untilTime: string;
  justification: string;
  adminApprove: boolean;
}

const INITIAL: WizardState = {
  principal: '',
  mode: 'permissions',
  generatorType: 's3',
  inputs: {},
  actionGroups: [],
  policyText: '',
  templateKey: '',
  expiryMode: 'none',
  duration: '4h',
  untilDate: '',
  untilTime: '18:00',
  justification: '',
  adminApprove: false,
};

const DURATION = /^[1-9][0-9]{0,5}[mhdw]$/;

/** The exact time an "until" expiry names (local date and time), or undefined when incomplete. */
function untilInstant(state: WizardState): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(state.untilDate) || !/^\d{2}:\d{2}$/.test(state.untilTime))
    return undefined;
  const at = new Date(`${state.untilDate}T${state.untilTime}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function parsePolicy(text: string): { document?: unknown; error?: string } {
  try {
    const document = JSON.parse(text) as unknown;
    if (typeof document !== 'object' || document === null)
      return { error: 'The policy must be a JSON object.' };
    return { document };
  } catch (error) {
    return { error: `The policy is not valid JSON: ${(error as Error).message}` };
  }
}

/** Each step's problems, or none: the wizard moves on only from a complete step. */
function problemsOf(
  step: number,
  state: WizardState,
  permission: SelfServicePermission | undefined,
): string[] {
  const problems: string[] = [];
  if (step === 0 && !isPrincipalArn(state.principal)) {
    problems.push('Pick the role or user the access is for (an IAM role or user ARN).');
  }
  if (step === 1) {
    if (state.mode === 'permissions') {
      for (const input of permission?.inputs ?? []) {
        const value = state.inputs[input.name] ?? input.default ?? '';
        if (input.required && value.trim() === '') problems.push(`${input.text} is needed.`);
      }
      if (state.actionGroups.length === 0) problems.push('Choose at least one permission.');
    } else {
      const parsed = parsePolicy(state.policyText);
      if (parsed.error) problems.push(parsed.error);
    }
  }
  if (step === 2) {
    if (state.expiryMode === 'duration' && !DURATION.test(state.duration)) {
      problems.push('A duration is a whole number and m, h, d or w: 30m, 4h, 2d, 1w.');
    }
    if (state.expiryMode === 'until') {
      const at = untilInstant(state);
      if (!at) problems.push('Give the date (YYYY/MM/DD) and the time (HH:mm).');
      else if (at.getTime() <= Date.now()) problems.push('The end must be in the future.');
    }
  }
  if (step === 3 && state.justification.trim().length < 3) {
    problems.push('Say why you need this: the reviewers decide with it.');
  }
  return problems;
}

/** The wizard's choices as ConsoleMe's change generators (one), expiry included. */
function generatorsOf(state: WizardState, permission: SelfServicePermission | undefined): ChangeGenerator[] {
  const principal = { principal_type: 'AwsResource' as const, principal_arn: state.principal };
  const expiry: Pick<ChangeGenerator, 'expires_in' | 'expiration_date'> =
    state.expiryMode === 'duration'
      ? { expires_in: state.duration }
      : state.expiryMode === 'until'
        ? { expiration_date: untilInstant(state)?.toISOString() ?? '' }
        : {};
  if (state.mode === 'policy') {
    return [
      { principal, generator_type: 'custom_iam', policy: parsePolicy(state.policyText).document, ...expiry },
    ];
  }
  const fields: Record<string, string> = {};
  for (const input of permission?.inputs ?? []) {
    const value = (state.inputs[input.name] ?? input.default ?? '').trim();
    if (value !== '') fields[input.name] = value;
  }
  return [
    {
      principal,
      generator_type: state.generatorType,
      action_groups: state.actionGroups,
      ...fields,
      ...expiry,
    },
  ];
}

/**
 * `/selfservice`: ask for access in six steps — who, what (plain-language permissions or a policy),
 * until when, why, the exact policy previewed by a dry run, submit. A pasted AccessDenied message fills
 * it in. Every control is a native-keyboard Cloudscape component; the wizard's own buttons move between
 * steps.
 */
export default function SelfServicePage() {
  const config = useSelfServiceConfig();
  const templates = usePermissionTemplates();
  const session = useSession();
  const navigate = useNavigate();
  const [state, setState] = useState<WizardState>(INITIAL);
  const [step, setStep] = useState(0);
  const [shownProblems, setShownProblems] = useState<string[]>([]);
  const update = (patch: Partial<WizardState>) => setState((s) => ({ ...s, ...patch }));
  const permission = config.data?.permissions_map[state.generatorType];

  const preview = useMutation({
    mutationFn: async (current: WizardState) => {
      const generated = await generateChanges(generatorsOf(current, permission));
      const dryRun = await createRequest({
        changes: generated,
        justification: current.justification.trim(),
        dry_run: true,
      });
      return { changes: generated.changes, request: dryRun.extended_request };
    },
  });
  const submit = useMutation({
    mutationFn: (changes: Change[]) =>
      createRequest({
        changes: { changes },
        justification: state.justification.trim(),
        ...(state.adminApprove ? { admin_auto_approve: true } : {}),
      }),
    onSuccess: (reply) => {
      if (reply.request_id) void navigate(`/requests/${encodeURIComponent(reply.request_id)}`);
    },
  });

  if (config.isError) {
    return (
      <ErrorAlert
        header="Could not load the wizard"
        error={config.error}
        onRetry={() => void config.refetch()}
      />
    );
  }
  if (config.isPending) return <PageLoading label="Loading the wizard" />;
  const permissionsMap = config.data.permissions_map;

  const prefill = (answer: AccessDeniedAnswer) => {
    const change = answer.request?.changes.changes[0];
    const document = change?.policy?.policy_document;
    setState((s) => ({
      ...s,
      principal: answer.grantee ?? change?.principal.principal_arn ?? s.principal,
      mode: 'policy',
      policyText: JSON.stringify(
        typeof document === 'string' ? (JSON.parse(document) as unknown) : document,
        null,
        2,
      ),
      justification: s.justification || `Needed for ${answer.action ?? 'this call'} (it was denied).`,
    }));
    setShownProblems([]);
    setStep(1);
  };

  const steps = [
    {
      title: 'Who',
      description: 'The role or user that needs the access.',
      content: (
        <Container>
          <PrincipalPicker value={state.principal} onChange={(principal) => update({ principal })} />
        </Container>
      ),
    },
    {
      title: 'What',
      description: 'Choose in plain words, or start from a policy template.',
      content: (
        <WhatStep
          state={state}
          update={update}
          permissionsMap={permissionsMap}
          templates={templates.data ?? []}
        />
      ),
    },
    {
      title: 'Until when',
      description: 'Access that ends by itself is approved more easily.',
      isOptional: true,
      content: <ExpiryStep state={state} update={update} />,
    },
    {
      title: 'Why',
      description: 'Reviewers decide with this.',
      content: (
        <Container>
          <FormField label="Justification" description="What you will do with the access, and for how long.">
            <Textarea
              value={state.justification}
              onChange={({ detail }) => update({ justification: detail.value })}
              rows={4}
              placeholder="Read the Q3 reports in the assets bucket for the audit"
            />
          </FormField>
        </Container>
      ),
    },
    {
      title: 'Review and submit',
      description: 'The exact policy change, what it newly grants, and what the policy check found.',
      content: (
        <PreviewStep
          preview={preview}
          state={state}
          onRetry={() => preview.mutate(state)}
          canAutoApprove={!!session.data?.isAdmin && config.data.admin_bypass_approval_enabled}
          update={update}
        />
      ),
    },
  ];

  return (
    <SpaceBetween size="l">
      <Header variant="h1" description={config.data.help_message}>
        Request access
      </Header>
      <AccessDeniedBox onPrefill={prefill} />
      {shownProblems.length > 0 && (
        <Alert type="error" header="Before you go on">
          <ul style={{ margin: 0, paddingLeft: 18 }}>
            {shownProblems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </Alert>
      )}
      {submit.isError && <ErrorAlert header="The request was not made" error={submit.error} />}
      <Wizard
        steps={steps}
        activeStepIndex={step}
        isLoadingNextStep={preview.isPending || submit.isPending}
        submitButtonText="Submit request"
        i18nStrings={{
          stepNumberLabel: (n) => `Step ${n}`,
          collapsedStepsLabel: (n, total) => `Step ${n} of ${total}`,
          skipToButtonLabel: (target) => `Skip to ${target.title}`,
          navigationAriaLabel: 'Steps',
          cancelButton: 'Start over',
          previousButton: 'Previous',
          nextButton: 'Next',
          optional: 'optional',
        }}
        onCancel={() => {
          setState(INITIAL);
          setStep(0);
          setShownProblems([]);
          preview.reset();
        }}
        onNavigate={({ detail }) => {
          const target = detail.requestedStepIndex;
          if (target > step) {
            for (let s = step; s < target; s++) {
              const problems = problemsOf(s, state, permission);
              if (problems.length > 0) {
                setShownProblems(problems);
                setStep(s);
                return;
              }
            }
          }
          setShownProblems([]);
          setStep(target);
          if (target === steps.length - 1) preview.mutate(state);
        }}
        onSubmit={() => {
          if (preview.data) submit.mutate(preview.data.changes);
        }}
      />
    </SpaceBetween>
  );
}

function PrincipalPicker({ value, onChange }: { value: string; onChange: (arn: string) => void }) {
  return (
    <FormField
      label="Role or user"
      description="Type part of its name, account id or ARN, then pick it from the list."
      constraintText={value && !isPrincipalArn(value) ? 'Pick an entry from the list.' : undefined}
    >
      <TypeaheadBox
        endpoint={PRINCIPAL_TYPEAHEAD}
        keep={isPrincipalArn}
        label="Role or user"
        value={value}
        onChange={onChange}
        placeholder="arn:aws:iam::123456789012:role/app"
      />
    </FormField>
  );
}

/** A text box suggesting what the typeahead endpoint finds for the text; Enter or a click picks one. */
function TypeaheadBox({
  endpoint,
  keep,
  label,
  value,
  onChange,
  placeholder,
}: {
  endpoint: string;
  keep?: (title: string) => boolean;
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
}) {
  const results = useTypeahead(endpoint, value, keep);
  return (
    <Autosuggest
      value={value}
      onChange={({ detail }) => onChange(detail.value)}
      onSelect={({ detail }) => onChange(detail.value)}
      options={(results.data ?? []).map((title) => ({ value: title }))}
      filteringType="manual"
      statusType={results.isFetching ? 'loading' : results.isError ? 'error' : 'finished'}
      loadingText="Searching"
      errorText={results.isError ? results.error.message : 'Search failed'}
      empty={value.trim() === '' ? 'Start typing' : 'Nothing matches'}
      enteredTextLabel={(text) => `Use "${text}"`}
      ariaLabel={label}
      {...(placeholder ? { placeholder } : {})}
    />
  );
}

function WhatStep({
  state,
  update,
  permissionsMap,
  templates,
}: {
  state: WizardState;
  update: (patch: Partial<WizardState>) => void;
  permissionsMap: Record<string, SelfServicePermission>;
  templates: { key: string; text: string; value: string }[];
}) {
  const permission = permissionsMap[state.generatorType];
  const typeOptions = Object.entries(permissionsMap).map(([value, p]) => ({
    value,
    label: p.text,
    description: p.description,
  }));
  return (
    <Container>
      <SpaceBetween size="l">
        <FormField label="How do you want to say it?">
          <RadioGroup
            value={state.mode}
            onChange={({ detail }) => update({ mode: detail.value as WhatMode })}
            items={[
              {
                value: 'permissions',
                label: 'In plain words',
                description: 'Pick a resource and what to do with it',
              },
              { value: 'policy', label: 'As a policy', description: 'Start from a template and edit it' },
            ]}
          />
        </FormField>
        {state.mode === 'permissions' ? (
          <>
            <FormField label="Kind of resource">
              <Select
                selectedOption={typeOptions.find((o) => o.value === state.generatorType) ?? null}
                options={typeOptions}
                onChange={({ detail }) =>
                  update({ generatorType: detail.selectedOption.value ?? 's3', inputs: {}, actionGroups: [] })
                }
              />
            </FormField>
            {permission?.inputs.map((input) => (
              <GeneratorInput
                key={`${state.generatorType}-${input.name}`}
                input={input}
                value={state.inputs[input.name] ?? input.default ?? ''}
                onChange={(value) => update({ inputs: { ...state.inputs, [input.name]: value } })}
              />
            ))}
            <FormField
              label="Permissions"
              description="Each choice becomes the smallest set of actions that grants it."
            >
              <SpaceBetween size="xxs">
                {permission?.action_map.map((group) => (
                  <Checkbox
                    key={group.name}
                    checked={state.actionGroups.includes(group.name)}
                    description={
                      group.permissions.slice(0, 6).join(', ') + (group.permissions.length > 6 ? ', …' : '')
                    }
                    onChange={({ detail }) =>
                      update({
                        actionGroups: detail.checked
                          ? [...state.actionGroups, group.name]
                          : state.actionGroups.filter((g) => g !== group.name),
                      })
                    }
                  >
                    {group.text}
                  </Checkbox>
                ))}
              </SpaceBetween>
            </FormField>
          </>
        ) : (
          <>
            <FormField label="Template" description="Replace the placeholders in capitals.">
              <Select
                selectedOption={
                  templates.find((t) => t.key === state.templateKey)
                    ? {
                        value: state.templateKey,
                        label: templates.find((t) => t.key === state.templateKey)?.text,
                      }
                    : null
                }
                placeholder="Choose a template"
                options={templates.map((t) => ({ value: t.key, label: t.text }))}
                onChange={({ detail }) => {
                  const template = templates.find((t) => t.key === detail.selectedOption.value);
                  update({
                    templateKey: template?.key ?? '',
                    policyText: template?.value ?? state.policyText,
                  });
                }}
              />
            </FormField>
            <FormField label="Policy (JSON)" stretch>
              <Textarea
                value={state.policyText}
                onChange={({ detail }) => update({ policyText: detail.value })}
                rows={14}
                spellcheck={false}
                placeholder='{"Version": "2012-10-17", "Statement": [...]}'
              />
            </FormField>
          </>
        )}
      </SpaceBetween>
    </Container>
  );
}

function GeneratorInput({
  input,
  value,
  onChange,
}: {
  input: SelfServicePermission['inputs'][number];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <FormField label={input.text}>
      {input.typeahead_endpoint ? (
        <TypeaheadBox
          endpoint={input.typeahead_endpoint}
          label={input.text}
          value={value}
          onChange={onChange}
        />
      ) : (
        <Input value={value} onChange={({ detail }) => onChange(detail.value)} ariaLabel={input.text} />
      )}
    </FormField>
  );
}

function ExpiryStep({
  state,
  update,
}: {
  state: WizardState;
  update: (patch: Partial<WizardState>) => void;
}) {
  return (
    <Container>
      <SpaceBetween size="l">
        <FormField label="The access ends">
          <RadioGroup
            value={state.expiryMode}
            onChange={({ detail }) => update({ expiryMode: detail.value as ExpiryMode })}
            items={[
              { value: 'none', label: 'Never', description: 'Until someone removes it' },
              { value: 'duration', label: 'After a while', description: 'Counted from the approval' },
              { value: 'until', label: 'At an exact time', description: 'Your local time' },
            ]}
          />
        </FormField>
        {state.expiryMode === 'duration' && (
          <FormField label="Duration" constraintText="30m, 4h, 2d or 1w">
            <SpaceBetween size="xs" direction="horizontal">
              <Input
                value={state.duration}
                onChange={({ detail }) => update({ duration: detail.value })}
                ariaLabel="Duration"
              />
              {['1h', '4h', '1d', '1w'].map((d) => (
                <Button
                  key={d}
                  onClick={() => update({ duration: d })}
                  ariaLabel={`Set the duration to ${d}`}
                >
                  {d}
                </Button>
              ))}
            </SpaceBetween>
          </FormField>
        )}
        {state.expiryMode === 'until' && (
          <SpaceBetween size="s" direction="horizontal">
            <FormField label="Date" constraintText="YYYY/MM/DD">
              <DatePicker
                value={state.untilDate}
                onChange={({ detail }) => update({ untilDate: detail.value })}
                placeholder="YYYY/MM/DD"
                openCalendarAriaLabel={(selected) =>
                  `Choose the date${selected ? `, selected ${selected}` : ''}`
                }
                isDateEnabled={(date) => date.getTime() > Date.now() - 86_400_000}
              />
            </FormField>
            <FormField label="Time" constraintText="HH:mm, 24-hour">
              <TimeInput
                value={state.untilTime}
                onChange={({ detail }) => update({ untilTime: detail.value })}
                format="hh:mm"
                placeholder="hh:mm"
              />
            </FormField>
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Container>
  );
}

function PreviewStep({
  preview,
  state,
  onRetry,
  canAutoApprove,
  update,
}: {
  preview: {
    isPending: boolean;
    isError: boolean;
    error: unknown;
    data?: { changes: Change[]; request?: { changes: { changes: Change[] } } | undefined };
  };
  state: WizardState;
  onRetry: () => void;
  canAutoApprove: boolean;
  update: (patch: Partial<WizardState>) => void;
}) {
  if (preview.isPending) return <PageLoading label="Working out the exact policy" />;
  if (preview.isError) {
    return <ErrorAlert header="The request cannot be previewed" error={preview.error} onRetry={onRetry} />;
  }
  const changes = preview.data?.request?.changes.changes ?? preview.data?.changes ?? [];
  return (
    <SpaceBetween size="l">
      <Container header={<Header variant="h2">Summary</Header>}>
        <KeyValuePairs
          columns={3}
          items={[
            { label: 'For', value: <span style={{ wordBreak: 'break-all' }}>{state.principal}</span> },
            {
              label: 'Ends',
              value:
                state.expiryMode === 'none'
                  ? 'Never'
                  : state.expiryMode === 'duration'
                    ? `${state.duration} after approval`
                    : (untilInstant(state)?.toLocaleString() ?? ''),
            },
            { label: 'Justification', value: state.justification },
          ]}
        />
      </Container>
      {changes.map((change, index) => (
        <ChangeReview key={change.id ?? index} change={change} index={index} />
      ))}
      {canAutoApprove && (
        <Checkbox
          checked={state.adminApprove}
          onChange={({ detail }) => update({ adminApprove: detail.checked })}
        >
          Approve and apply it at once (you are an admin)
        </Checkbox>
      )}
    </SpaceBetween>
  );
}

function AccessDeniedBox({ onPrefill }: { onPrefill: (answer: AccessDeniedAnswer) => void }) {
  const [message, setMessage] = useState('');
  const read = useMutation({ mutationFn: readAccessDenied });
  const answer = read.data;
  return (
    <ExpandableSection headerText="Start from an AccessDenied error" variant="container">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (message.trim() !== '') read.mutate(message.trim());
        }}
      >
        <SpaceBetween size="s">
          <FormField
            label="The error message"
            description="Paste what AWS answered (CLI, SDK or console); Rolecall works out the grant that fixes it."
            stretch
          >
            <Textarea
              value={message}
              onChange={({ detail }) => setMessage(detail.value)}
              rows={3}
              placeholder="An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::… is not authorized to perform: s3:GetObject on resource: …"
            />
          </FormField>
          <Button formAction="submit" loading={read.isPending} disabled={message.trim() === ''}>
            Read the message
          </Button>
          {read.isError && <ErrorAlert header="Could not read it" error={read.error} />}
          {answer && (
            <Alert
              type={answer.canRequest ? 'info' : 'warning'}
              header={answer.canRequest ? 'A grant would fix this' : 'A grant would not fix this'}
              action={
                answer.canRequest && answer.request ? (
                  <Button onClick={() => onPrefill(answer)}>Fill in the request</Button>
                ) : undefined
              }
            >
              <SpaceBetween size="xxs">
                <Box>{answer.explanation}</Box>
                {answer.action && (
                  <Box variant="small">
                    {answer.grantee ?? answer.principal} · {answer.action} · {answer.resource ?? '*'} · denied
                    by {answer.deniedBy}
                  </Box>
                )}
              </SpaceBetween>
            </Alert>
          )}
        </SpaceBetween>
      </form>
    </ExpandableSection>
  );
}
