import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Textarea from '@cloudscape-design/components/textarea';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, isApiError } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageLoading } from '../../components/PageLoading';

interface DynamicConfig {
  dynamicConfig: string;
  sha256: string;
}

/**
 * The dynamic config (group mapping, admin groups, auto-approval rules, templates) as YAML. A save names
 * the version it was edited from; if someone saved in between, nothing is written and this says so,
 * keeping your text so you can merge it into theirs.
 */
export function DynamicConfigEditor() {
  const client = useQueryClient();
  const current = useQuery({
    queryKey: ['dynamic-config'],
    queryFn: () => api<DynamicConfig>('/api/v2/dynamic_config'),
    staleTime: Infinity,
  });
  const [text, setText] = useState<string | undefined>(undefined);
  const [base, setBase] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (current.data && base === undefined) {
      setText(current.data.dynamicConfig);
      setBase(current.data.sha256);
    }
  }, [current.data, base]);

  const save = useMutation({
    mutationFn: () =>
      api<{ status: 'success'; newConfig: string; newsha56: string }>('/api/v2/dynamic_config', {
        method: 'POST',
        body: { existing_sha256: base, new_config: text },
      }),
    onSuccess: (saved) => {
      setText(saved.newConfig);
      setBase(saved.newsha56);
      client.setQueryData(['dynamic-config'], { dynamicConfig: saved.newConfig, sha256: saved.newsha56 });
    },
  });

  if (current.isError)
    return (
      <ErrorAlert
        header="Could not load the dynamic config"
        error={current.error}
        onRetry={() => void current.refetch()}
      />
    );
  if (text === undefined) return <PageLoading label="Loading the dynamic config" />;
  const conflict = isApiError(save.error) && save.error.code === 'CONFLICT';
  const loadLatest = async () => {
    const latest = await current.refetch();
    if (latest.data) {
      setText(latest.data.dynamicConfig);
      setBase(latest.data.sha256);
      save.reset();
    }
  };

  return (
    <Container
      header={
        <Header
          variant="h2"
          description={`Version ${base?.slice(0, 12) ?? ''}… — every save is kept in its history.`}
          actions={
            <SpaceBetween size="xs" direction="horizontal">
              <Button onClick={() => void loadLatest()}>Reload</Button>
              <Button
                variant="primary"
                loading={save.isPending}
                disabled={text === current.data?.dynamicConfig && !conflict}
                onClick={() => save.mutate()}
              >
                Save
              </Button>
            </SpaceBetween>
          }
        >
          Dynamic config
        </Header>
      }
    >
      <SpaceBetween size="s">
        {save.isSuccess && (
          <Alert type="success">Saved. Every service picks the new config up within seconds.</Alert>
        )}
        {conflict ? (
          <Alert
            type="error"
            header="Someone else saved the config after you opened it"
            action={<Button onClick={() => void loadLatest()}>Load their version</Button>}
          >
            Nothing was written. Your edits are still below: copy them, load their version, and apply your
            change to it.{' '}
            <Box variant="code" display="inline">
              CONFLICT
            </Box>
          </Alert>
        ) : (
          save.isError && <ErrorAlert header="The config was not saved" error={save.error} />
        )}
        <Textarea
          value={text}
          onChange={({ detail }) => setText(detail.value)}
          rows={24}
          spellcheck={false}
          ariaLabel="Dynamic config (YAML)"
        />
      </SpaceBetween>
    </Container>
  );
}
