import Tabs from '@cloudscape-design/components/tabs';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useNavigate, useParams } from 'react-router';
import { useSession } from '../api/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { TABS_I18N } from '../components/i18n';
import { AuditLog } from './admin/AuditLog';
import { CacheStatus } from './admin/CacheStatus';
import { DynamicConfigEditor } from './admin/DynamicConfigEditor';

const TABS = ['config', 'cache', 'audit'] as const;

/** `/admin/{config|cache|audit}`: the dynamic config, the crawl cache and the credential audit log. */
export default function AdminPage() {
  const { tab } = useParams();
  const navigate = useNavigate();
  const session = useSession();
  const active = TABS.find((t) => t === tab) ?? 'cache';
  if (!session.data?.isAdmin) {
    return (
      <ErrorAlert
        header="For administrators only"
        error={
          new Error('Your groups do not include an admin group, so these tools are not available to you.')
        }
      />
    );
  }
  return (
    <SpaceBetween size="m">
      <Header variant="h1" description="Configuration, the resource cache and who got credentials.">
        Admin
      </Header>
      <Tabs
        i18nStrings={TABS_I18N}
        activeTabId={active}
        onChange={({ detail }) => void navigate(`/admin/${detail.activeTabId}`)}
        ariaLabel="Admin sections"
        tabs={[
          { id: 'cache', label: 'Cache and crawls', content: <CacheStatus /> },
          { id: 'config', label: 'Dynamic config', content: <DynamicConfigEditor /> },
          { id: 'audit', label: 'Credential audit log', content: <AuditLog /> },
        ]}
      />
    </SpaceBetween>
  );
}
