/** Response shapes of the gateway routes the UI reads (see the OpenAPI document at /docs). */

export interface DemoUser {
  email: string;
  groups: string[];
  description?: string;
}

export interface Session {
  signedIn: boolean;
  user?: string;
  groups?: string[];
  isAdmin: boolean;
  /** How this deployment signs people in: the demo's user picker, or a trusted proxy in front. */
  signIn: 'demo' | 'proxy' | 'oidc';
  /** oidc only: the provider named on the sign-in button. */
  providerName?: string;
  demoUsers: DemoUser[];
}

export interface EligibleRole {
  arn: string;
  accountId: string;
  accountName: string;
  roleName: string;
  /** Granted for the CLI only: no console sign-in. */
  cliOnly: boolean;
}

export interface ResourceRow {
  arn: string;
  itemType: string;
  accountId: string;
  accountName: string;
  name: string;
  region?: string;
  lastSeenAt?: string;
  tags?: Record<string, string>;
  [key: string]: unknown;
}

export interface ResourcePage {
  data: ResourceRow[];
  nextCursor: string | null;
}

export interface CacheStatusRow {
  accountId: string;
  accountName: string;
  crawlType: string;
  running: boolean;
  runningSince?: string;
  lastSuccessAt?: string;
  lastSuccessCrawlId?: string;
  itemCount: number;
  lastError?: { code: string; message: string; at: string };
}

export interface AuditEvent {
  id: string;
  at: string;
  user: string;
  channel: string;
  requestedRole: string;
  outcome: string;
  [key: string]: unknown;
}

export interface Finding {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  statementIndex?: number;
  path?: string;
}
