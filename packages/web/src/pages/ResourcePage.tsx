import Box from '@cloudscape-design/components/box';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import Tabs from '@cloudscape-design/components/tabs';
import { useState, type ReactNode } from 'react';
import { useParams } from 'react-router';
import {
  useCachedItem,
  useRoleArn,
  type AttachedPolicy,
  type CachedItem,
  type NamedPolicy,
} from '../api/item';
import { ITEM_TYPE_LABELS, arnOfResourcePath, resourcePagePath } from '../api/resources';
import { ErrorAlert } from '../components/ErrorAlert';
import { TABS_I18N } from '../components/i18n';
import { PageLoading } from '../components/PageLoading';
import { useFollow } from '../app/Layout';
import { timeAgo } from '../lib/time';
import { prettyJson } from './resource/change-models';
import { PolicySection } from './resource/PolicySection';
import { SimulateBox } from './resource/SimulateBox';

const NEW_POLICY = prettyJson({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: [], Resource: [] }],
});

/** `/policies/edit/{account}/{kind}/{name…}` (ConsoleMe's path): one role, user, policy, bucket, queue or topic. */
export default function ResourcePage() {
  const { accountId = '', kind = '', '*': rest = '' } = useParams();
  // ConsoleMe links a role by its bare name; the role lookup finds its path.
  const bareRoleName = kind === 'iamrole' && !rest.includes('/') ? rest : undefined;
  const roleArn = useRoleArn(accountId, bareRoleName);
  const arn = bareRoleName !== undefined ? roleArn.data : arnOfResourcePath(accountId, kind, rest);
  const item = useCachedItem(arn);

  if (roleArn.isError) return <ErrorAlert header={`No role ${rest} in ${accountId}`} error={roleArn.error} />;
  if (bareRoleName === undefined && arn === undefined) {
    return (
      <ErrorAlert
        header="Not a resource address"
        error={new Error(`Rolecall has no resource page for ${kind}/${rest}.`)}
      />
    );
  }
  if (item.isError)
    return (
      <ErrorAlert
        header="Could not load this resource"
        error={item.error}
        onRetry={() => void item.refetch()}
      />
    );
  if (!item.data) return <PageLoading label="Loading the resource" />;
  return <ItemView item={item.data.item} accountName={item.data.accountName} />;
}

function ItemView({ item, accountName }: { item: CachedItem; accountName: string }) {
  // One name per visit for a new inline policy, so the preview and the request name the same policy.
  const [newPolicyName] = useState(() => `rolecall-${Date.now().toString(36)}`);
  const tabs = tabsOf(item, newPolicyName);
  return (
    <SpaceBetween size="m">
      <Header
        variant="h1"
        description={
          <SpaceBetween size="xxs" direction="horizontal" alignItems="center">
            <span>
              {ITEM_TYPE_LABELS[item.itemType] ?? item.itemType} in {accountName} ({item.accountId})
              {item.region ? `, ${item.region}` : ''} · seen {timeAgo(item.lastSeenAt)}
            </span>
          </SpaceBetween>
        }
      >
        {item.name}
      </Header>
      <Box>
        <CopyToClipboard
          variant="inline"
          textToCopy={item.arn}
          copyButtonAriaLabel="Copy the ARN"
          copySuccessText="ARN copied"
          copyErrorText="Could not copy"
        />
      </Box>
      <Tabs tabs={tabs} ariaLabel="Resource sections" i18nStrings={TABS_I18N} />
    </SpaceBetween>
  );
}

type TabDef = { id: string; label: string; content: ReactNode };

function tabsOf(item: CachedItem, newPolicyName: string): TabDef[] {
  const d = item.details;
  const tagsTab: TabDef = { id: 'tags', label: 'Tags', content: <Tags tags={item.tags} /> };
  switch (item.itemType) {
    case 'iam_role':
    case 'iam_user':
    case 'iam_group':
      return principalTabs(item, tagsTab, newPolicyName);
    case 'managed_policy': {
      const version = typeof d.defaultVersionId === 'string' ? d.defaultVersionId : 'unknown';
      const attachments = typeof d.attachmentCount === 'number' ? d.attachmentCount : undefined;
      return [
        {
          id: 'document',
          label: 'Document',
          content: (
            <PolicySection
              title="Policy document"
              description={`Default version ${version}; Rolecall keeps the default version's document, and saving requests a new default version.`}
              document={prettyJson(d.document)}
              policyType="identity"
              target={{ kind: 'managed_policy_resource', policyArn: item.arn }}
            />
          ),
        },
        {
          id: 'details',
          label: 'Details',
          content: (
            <Facts
              facts={[
                ['Default version', d.defaultVersionId],
                ['Attached to', attachments === undefined ? undefined : `${attachments} principals`],
                ['Used as a boundary by', d.permissionsBoundaryUsageCount],
                ['Created', d.createDate],
                ['Updated', d.updateDate],
                ['Description', d.description],
              ]}
            />
          ),
        },
        tagsTab,
      ];
    }
    case 's3_bucket':
    case 'sqs_queue':
    case 'sns_topic':
      return [
        {
          id: 'policy',
          label: 'Resource policy',
          content: (
            <PolicySection
              title="Resource policy"
              description={d.policy === null ? 'No policy is set; saving requests one.' : undefined}
              document={d.policy === null ? NEW_POLICY : prettyJson(d.policy)}
              policyType="resource"
              resourceArns={[item.arn]}
              target={{ kind: 'resource_policy', resourceArn: item.arn }}
            />
          ),
        },
        tagsTab,
        {
          id: 'attributes',
          label: 'Attributes',
          content: (
            <Facts
              facts={Object.entries((d.attributes as Record<string, string> | undefined) ?? {}).concat(
                d.url ? [['url', d.url as string]] : [],
                d.creationDate ? [['Created', d.creationDate as string]] : [],
              )}
            />
          ),
        },
      ];
    default:
      return [
        {
          id: 'configuration',
          label: 'Configuration',
          content: (
            <PolicySection
              title="Configuration (AWS Config)"
              document={prettyJson(d.configuration)}
              policyType="identity"
            />
          ),
        },
        tagsTab,
      ];
  }
}

function principalTabs(item: CachedItem, tagsTab: TabDef, newPolicyName: string): TabDef[] {
  const d = item.details;
  const inline = (d.inlinePolicies as NamedPolicy[] | undefined) ?? [];
  const managed = (d.managedPolicies as AttachedPolicy[] | undefined) ?? [];
  const boundary = d.permissionsBoundary as { arn: string } | undefined;
  const lastUsed = d.lastUsed as { date?: string; region?: string } | undefined;
  const principalKind = item.itemType === 'iam_user' ? 'user' : 'role';
  const canEdit = item.itemType !== 'iam_group';
  const tabs: TabDef[] = [
    {
      id: 'permissions',
      label: 'Permissions',
      content: (
        <SpaceBetween size="m">
          {inline.map((policy) => (
            <PolicySection
              key={policy.name}
              title={`Inline policy ${policy.name}`}
              document={prettyJson(policy.document)}
              policyType="identity"
              {...(canEdit
                ? {
                    target: {
                      kind: 'inline_policy',
                      principalArn: item.arn,
                      policyName: policy.name,
                      isNew: false,
                    } as const,
                  }
                : {})}
            />
          ))}
          {canEdit && (
            <PolicySection
              title="New inline policy"
              description="Write the statements you need; saving requests them as a new inline policy."
              document={NEW_POLICY}
              policyType="identity"
              target={{
                kind: 'inline_policy',
                principalArn: item.arn,
                policyName: newPolicyName,
                isNew: true,
              }}
            />
          )}
          <ManagedPolicies policies={managed} accountId={item.accountId} />
          <Container header={<Header variant="h2">Permissions boundary</Header>}>
            {boundary ? (
              <PolicyLink arn={boundary.arn} accountId={item.accountId} />
            ) : (
              'None: no boundary limits this principal.'
            )}
          </Container>
          {canEdit && <SimulateBox principalArn={item.arn} kind={principalKind} />}
        </SpaceBetween>
      ),
    },
  ];
  if (item.itemType === 'iam_role') {
    tabs.push({
      id: 'trust',
      label: 'Trust policy',
      content: (
        <PolicySection
          title="Trust policy"
          description="Who may assume this role."
          document={prettyJson(d.assumeRolePolicyDocument)}
          policyType="trust"
          target={{ kind: 'assume_role_policy', principalArn: item.arn }}
        />
      ),
    });
  }
  tabs.push(tagsTab, {
    id: 'details',
    label: 'Details',
    content: (
      <Facts
        facts={[
          [
            'Last used',
            lastUsed?.date
              ? `${new Date(lastUsed.date).toLocaleString()}${lastUsed.region ? ` in ${lastUsed.region}` : ''}`
              : 'Not used (or not recorded)',
          ],
          ['Created', d.createDate],
          ['Path', d.path],
          ['Description', d.description],
          [
            'Maximum session',
            d.maxSessionDuration === undefined ? undefined : `${Number(d.maxSessionDuration) / 3600} h`,
          ],
          ['Groups', Array.isArray(d.groups) ? (d.groups as string[]).join(', ') || 'none' : undefined],
        ]}
      />
    ),
  });
  return tabs;
}

function PolicyLink({ arn, accountId }: { arn: string; accountId: string }) {
  const follow = useFollow();
  const name = arn.split('/').pop() ?? arn;
  // AWS managed policies are not crawled; customer managed ones have pages.
  if (arn.startsWith('arn:aws:iam::aws:')) return <span>{name} (AWS managed)</span>;
  return (
    <Link href={resourcePagePath({ arn, itemType: 'managed_policy', accountId, name })} onFollow={follow}>
      {name}
    </Link>
  );
}

function ManagedPolicies({ policies, accountId }: { policies: AttachedPolicy[]; accountId: string }) {
  return (
    <Table
      header={
        <Header variant="h2" counter={`(${policies.length})`}>
          Managed policies
        </Header>
      }
      items={policies}
      trackBy="arn"
      empty="No managed policy is attached."
      columnDefinitions={[
        { id: 'name', header: 'Name', cell: (p) => <PolicyLink arn={p.arn} accountId={accountId} /> },
        { id: 'arn', header: 'ARN', cell: (p) => p.arn },
      ]}
    />
  );
}

function Tags({ tags }: { tags: Record<string, string> }) {
  const items = Object.entries(tags).map(([key, value]) => ({ key, value }));
  return (
    <Table
      header={
        <Header variant="h2" counter={`(${items.length})`}>
          Tags
        </Header>
      }
      items={items}
      trackBy="key"
      empty="No tags."
      columnDefinitions={[
        { id: 'key', header: 'Key', cell: (t) => t.key },
        { id: 'value', header: 'Value', cell: (t) => t.value },
      ]}
    />
  );
}

function Facts({ facts }: { facts: [string, unknown][] }) {
  const shown = facts.filter(([, value]) => value !== undefined && value !== '');
  return (
    <Container>
      {shown.length === 0 ? (
        'Nothing recorded.'
      ) : (
        <ColumnLayout columns={2} variant="text-grid">
          {shown.map(([label, value]) => (
            <div key={label}>
              <Box variant="awsui-key-label">{label}</Box>
              <div style={{ wordBreak: 'break-all' }}>{String(value)}</div>
            </div>
          ))}
        </ColumnLayout>
      )}
    </Container>
  );
}
