import { useCollection } from '@cloudscape-design/collection-hooks';
import Alert from '@cloudscape-design/components/alert';
import Badge from '@cloudscape-design/components/badge';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Cards from '@cloudscape-design/components/cards';
import CopyToClipboard from '@cloudscape-design/components/copy-to-clipboard';
import ExpandableSection from '@cloudscape-design/components/expandable-section';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { CONSOLE_REGIONS, roleLoginPath, useEligibleRoles } from '../api/roles';
import { useSession } from '../api/session';
import type { EligibleRole } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { useFollow } from '../app/Layout';
import { rememberRecent, STORAGE_KEYS, useStoredState } from '../lib/storage';
import { roleSnippets } from '../lib/snippets';

const DEFAULT_REGION = 'us-east-1';
const REGION_OPTIONS = CONSOLE_REGIONS.map((r) => ({ label: r, value: r }));

function matches(role: EligibleRole, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  return [role.roleName, role.accountName, role.accountId, role.arn].some((field) =>
    field.toLowerCase().includes(needle),
  );
}

/** ConsoleMe's "multiple roles" redirect carries its warning base64-encoded. */
function decodeWarning(value: string | null): string | undefined {
  if (!value) return undefined;
  try {
    return atob(value);
  } catch {
    return undefined;
  }
}

export default function RolesPage() {
  const roles = useEligibleRoles();
  const session = useSession();
  const follow = useFollow();
  const [params] = useSearchParams();
  const [favourites, setFavourites] = useStoredState<string[]>(STORAGE_KEYS.favourites, []);
  const [recent, setRecent] = useStoredState<string[]>(STORAGE_KEYS.recent, []);
  const [regions, setRegions] = useStoredState<Record<string, string>>(STORAGE_KEYS.regions, {});
  const warning = decodeWarning(params.get('warningMessage'));

  // Favourites first, then the recently used (most recent first), then everything else in account order.
  const ordered = useMemo(() => {
    const all = roles.data ?? [];
    const rank = (role: EligibleRole) => {
      const favourite = favourites.indexOf(role.arn);
      if (favourite >= 0) return favourite;
      const used = recent.indexOf(role.arn);
      return used >= 0 ? 1000 + used : 100_000;
    };
    return all
      .map((role, index) => ({ role, index, rank: rank(role) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map((entry) => entry.role);
  }, [roles.data, favourites, recent]);

  const { items, filterProps, filteredItemsCount, paginationProps, actions } = useCollection(ordered, {
    filtering: {
      defaultFilteringText: params.get('arn') ?? '',
      filteringFunction: (role, text) => matches(role, text),
    },
    pagination: { pageSize: 30 },
  });

  if (roles.isError) {
    return (
      <ErrorAlert
        header="Could not load your roles"
        error={roles.error}
        onRetry={() => void roles.refetch()}
      />
    );
  }

  const toggleFavourite = (arn: string) =>
    setFavourites(favourites.includes(arn) ? favourites.filter((a) => a !== arn) : [...favourites, arn]);
  const filterText = filterProps.filteringText.trim();
  const groups = session.data?.groups ?? [];

  return (
    <SpaceBetween size="m">
      {warning && <Alert type="warning">{warning}</Alert>}
      <Cards<EligibleRole>
        variant="full-page"
        loading={roles.isPending}
        loadingText="Loading your roles"
        trackBy="arn"
        items={items}
        cardsPerRow={[{ cards: 1 }, { minWidth: 700, cards: 2 }, { minWidth: 1200, cards: 3 }]}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={roles.data ? `(${roles.data.length})` : undefined}
            description="Open the AWS console as a role, or copy what the command line needs."
          >
            Your roles
          </Header>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find a role by name, account or ARN"
            filteringAriaLabel="Find a role"
            countText={`${filteredItemsCount ?? 0} match${filteredItemsCount === 1 ? '' : 'es'}`}
          />
        }
        pagination={
          <Pagination
            {...paginationProps}
            ariaLabels={{
              nextPageLabel: 'Next page',
              previousPageLabel: 'Previous page',
              pageLabel: (n) => `Page ${n}`,
            }}
          />
        }
        empty={
          filterText !== '' ? (
            <Box textAlign="center" padding="l">
              <SpaceBetween size="s">
                <b>No role matches “{filterText}”</b>
                <Box variant="p">
                  None of your {roles.data?.length ?? 0} roles has that in its name, account or ARN. Your
                  groups ({groups.join(', ') || 'none'}) decide which roles you may use.
                </Box>
                <SpaceBetween size="xs" direction="horizontal" alignItems="center">
                  <Button onClick={() => actions.setFiltering('')}>Clear the filter</Button>
                  <Button variant="primary" href="/selfservice" onFollow={follow}>
                    Request access
                  </Button>
                </SpaceBetween>
              </SpaceBetween>
            </Box>
          ) : (
            <Box textAlign="center" padding="l">
              <SpaceBetween size="s">
                <b>You have no roles yet</b>
                <Box variant="p">
                  No role is granted to you or to your groups ({groups.join(', ') || 'none'}). Ask for the
                  access you need, and an administrator will review it.
                </Box>
                <Button variant="primary" href="/selfservice" onFollow={follow}>
                  Request access
                </Button>
              </SpaceBetween>
            </Box>
          )
        }
        cardDefinition={{
          header: (role) => (
            <SpaceBetween size="xxs" direction="horizontal" alignItems="center">
              <Link
                href={`/policies/edit/${role.accountId}/iamrole/${encodeURIComponent(role.roleName)}`}
                onFollow={follow}
                fontSize="heading-m"
              >
                {role.roleName}
              </Link>
              {favourites.includes(role.arn) && <Badge color="blue">favourite</Badge>}
              {!favourites.includes(role.arn) && recent.includes(role.arn) && <Badge>recent</Badge>}
              {role.cliOnly && <Badge color="grey">CLI only</Badge>}
            </SpaceBetween>
          ),
          sections: [
            {
              id: 'account',
              content: (role) => (
                <Box color="text-body-secondary">
                  {role.accountName} · <span aria-label="account id">{role.accountId}</span>
                </Box>
              ),
            },
            {
              id: 'actions',
              content: (role) => {
                const region = regions[role.arn] ?? DEFAULT_REGION;
                return (
                  <SpaceBetween size="xs" direction="horizontal" alignItems="center">
                    <Button
                      variant="primary"
                      iconName="external"
                      iconAlign="right"
                      href={roleLoginPath(role.arn, region)}
                      target="_blank"
                      disabled={role.cliOnly}
                      disabledReason="This role is granted for the command line only"
                      ariaLabel={`Open console as ${role.roleName} in ${role.accountName}`}
                      onClick={() => setRecent(rememberRecent(role.arn))}
                    >
                      Open console
                    </Button>
                    <div style={{ minWidth: 150 }}>
                      <Select
                        selectedOption={{ label: region, value: region }}
                        options={REGION_OPTIONS}
                        ariaLabel={`Console region for ${role.roleName}`}
                        onChange={({ detail }) =>
                          setRegions({
                            ...regions,
                            [role.arn]: detail.selectedOption.value ?? DEFAULT_REGION,
                          })
                        }
                      />
                    </div>
                    <Button
                      variant="icon"
                      iconName={favourites.includes(role.arn) ? 'star-filled' : 'star'}
                      ariaLabel={`${favourites.includes(role.arn) ? 'Remove' : 'Add'} ${role.roleName} ${favourites.includes(role.arn) ? 'from' : 'to'} favourites`}
                      onClick={() => toggleFavourite(role.arn)}
                    />
                  </SpaceBetween>
                );
              },
            },
            {
              id: 'cli',
              content: (role) => <CliSnippets role={role} region={regions[role.arn] ?? DEFAULT_REGION} />,
            },
          ],
        }}
      />
    </SpaceBetween>
  );
}

/**
 * The snippets are drawn only once opened: a collapsed section still renders its content, and three
 * copy buttons per card made up a good part of drawing a page of roles.
 */
function CliSnippets({ role, region }: { role: EligibleRole; region: string }) {
  const [expanded, setExpanded] = useState(false);
  return (
    <ExpandableSection
      headerText="Command line"
      variant="footer"
      headerAriaLabel={`Command line for ${role.roleName}`}
      expanded={expanded}
      onChange={({ detail }) => setExpanded(detail.expanded)}
    >
      {expanded && <SnippetList role={role} region={region} />}
    </ExpandableSection>
  );
}

function SnippetList({ role, region }: { role: EligibleRole; region: string }) {
  const snippets = roleSnippets(role, region);
  const rows: [string, string][] = [
    ['Weep', snippets.weep],
    ['~/.aws/config profile', snippets.profile],
    ['Shell export', snippets.exportCommand],
  ];
  return (
    <SpaceBetween size="s">
      {rows.map(([label, text]) => (
        <div key={label}>
          <Box variant="awsui-key-label">{label}</Box>
          <SpaceBetween size="xs" direction="horizontal" alignItems="start">
            <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 13 }}>
              {text}
            </pre>
            <CopyToClipboard
              variant="icon"
              textToCopy={text}
              copyButtonAriaLabel={`Copy the ${label} snippet`}
              copySuccessText="Copied"
              copyErrorText="Could not copy"
            />
          </SpaceBetween>
        </div>
      ))}
    </SpaceBetween>
  );
}
