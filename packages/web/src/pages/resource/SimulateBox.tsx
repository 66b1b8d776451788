import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, isApiError } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';

interface Simulation {
  allowed: boolean;
  decision: string;
  explanation: string;
  decidingStatements?: unknown[];
  missing?: unknown;
}

/** "Could this role do…?": one action on one resource, answered by `POST /api/v3/access/simulate`. */
export function SimulateBox({ principalArn, kind }: { principalArn: string; kind: 'role' | 'user' }) {
  const [action, setAction] = useState('');
  const [resource, setResource] = useState('*');
  const simulate = useMutation({
    mutationFn: () =>
      api<Simulation>('/api/v3/access/simulate', {
        method: 'POST',
        body: { principal: principalArn, action: action.trim(), resource: resource.trim() || '*' },
      }),
  });
  const unavailable = isApiError(simulate.error) && simulate.error.code === 'ROUTE_NOT_FOUND';
  return (
    <Container header={<Header variant="h2">Could this {kind} do…?</Header>}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          simulate.mutate();
        }}
      >
        <Form
          actions={
            <Button
              variant="primary"
              formAction="submit"
              disabled={action.trim() === ''}
              loading={simulate.isPending}
            >
              Check
            </Button>
          }
        >
          <SpaceBetween size="s">
            <FormField label="Action" description="For example s3:GetObject">
              <Input
                value={action}
                onChange={({ detail }) => setAction(detail.value)}
                placeholder="s3:GetObject"
              />
            </FormField>
            <FormField label="Resource ARN" description="* for any resource">
              <Input
                value={resource}
                onChange={({ detail }) => setResource(detail.value)}
                placeholder="arn:aws:s3:::bucket/key"
              />
            </FormField>
            {simulate.isSuccess && (
              <Alert
                type={simulate.data.allowed ? 'success' : 'error'}
                header={simulate.data.allowed ? 'Allowed' : `Not allowed (${simulate.data.decision})`}
              >
                {simulate.data.explanation}
              </Alert>
            )}
            {unavailable ? (
              <Box color="text-body-secondary">This Rolecall cannot simulate access yet.</Box>
            ) : (
              simulate.isError && <ErrorAlert header="The simulation failed" error={simulate.error} />
            )}
          </SpaceBetween>
        </Form>
      </form>
    </Container>
  );
}
