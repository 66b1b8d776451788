import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '@rolecall/shared/aws';
import {
  AUTHORIZED_CLI_ONLY_TAG,
  AUTHORIZED_TAG,
  DEMO_USERS,
  freePort,
  seedDemoOrganization,
  type DemoAccount,
} from '@rolecall/testing';
import { iamIn } from './support/aws.js';
import { refresh, waitForCrawl } from './support/crawls.js';
import { ALL_SERVICES, eventually, startStack, type Stack } from './support/stack.js';
import { approveChallenge, asUser } from './weep/browser.js';
import { parseIni } from './weep/ini.js';
import { issuedAccessKeyId, startRecordingProxy, type RecordingProxy } from './weep/recording-proxy.js';
import { readTaggedRoles, rolesFor } from './weep/tag-oracle.js';
import { arnsIn, createWeepHome, findWeep, type WeepHome } from './weep/weep-cli.js';

const ALICE = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;

/** Keys from weep, used against moto as any AWS SDK would use them. */
async function whoAmI(
  endpointUrl: string,
  keys: { accessKeyId: string; secretAccessKey: string; sessionToken: string },
) {
  const sts = new STSClient(awsClientConfig('sts', { region: 'us-east-1', endpointUrl, credentials: keys }));
  return sts.send(new GetCallerIdentityCommand({}));
}

describe('the real weep CLI against Rolecall', () => {
  let stack: Stack;
  let proxy: RecordingProxy;
  let weep: WeepHome;
  let accounts: DemoAccount[];
  const account = (name: string) => accounts.find((a) => a.name === name)!;
  const roleArn = (accountName: string, path: string) =>
    `arn:aws:iam::${account(accountName).id}:role/${path}`;

  beforeAll(async () => {
    if (!existsSync(findWeep())) throw new Error('weep is not installed: run scripts/install-weep.sh');
    stack = await startStack({
      services: [],
      config: { gateway: { rateLimit: { credentialsPerMinute: 1000 } } },
    });
    const org = await seedDemoOrganization({ endpointUrl: stack.env.moto.url, region: 'us-east-1' });
    accounts = org.accounts;
    proxy = await startRecordingProxy(stack.env.moto.url);
    // Console sign-in goes to the gateway's local federation stand-in instead of AWS.
    await stack.updateConfig({
      demo: { federationStandIn: true },
      broker: { federationUrl: `${stack.gatewayUrl}/demo/federation` },
    });
    for (const name of ALL_SERVICES) {
      await stack.start(name, name, name === 'broker' ? { AWS_ENDPOINT_URL: proxy.url } : {});
    }
    const requestedAt = new Date().toISOString();
    await waitForCrawl(stack, await refresh(stack), requestedAt);
    weep = await createWeepHome({ consolemeUrl: stack.gatewayUrl, user: ALICE.email });
  });
  afterAll(async () => {
    await weep?.remove();
    await stack?.stop();
    await proxy?.stop();
  });

  /** The broker's AssumeRole call that produced these keys, read off the wire between broker and moto. */
  const assumeRoleCallFor = (accessKeyId: string) =>
    proxy.calls.find((c) => c.action === 'AssumeRole' && issuedAccessKeyId(c) === accessKeyId);

  it('logs in by the challenge, the test approving it as the browser, and caches the JWT for later commands', async () => {
    const listing = weep.start(['list']);
    const [challengeUrl] = await eventually(
      async () => {
        const urls = await weep.openedUrls();
        return urls.length > 0 ? urls : undefined;
      },
      async () => `weep never opened a browser; log: ${await readFile(weep.logPath, 'utf8').catch(String)}`,
      30_000,
    );
    expect(challengeUrl).toMatch(new RegExp(`^${stack.gatewayUrl}/challenge_validator/[^/]+$`));
    expect(existsSync(weep.jwtCachePath)).toBe(false);

    const { page } = await approveChallenge({
      gatewayUrl: stack.gatewayUrl,
      challengeUrl: challengeUrl!,
      user: ALICE.email,
      groups: ALICE.groups,
    });
    expect(JSON.stringify(page)).toContain(ALICE.email);

    const result = await listing.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/level=error/);
    expect(result.stdout).toMatch(/ACCOUNT NAME\s+ROLE NAME\s+ROLE ARN/);
    const cached = JSON.parse(await readFile(weep.jwtCachePath, 'utf8')) as Record<string, unknown>;
    expect(cached).toMatchObject({ status: 'success', cookie_name: 'consoleme_auth', user: ALICE.email });
    expect(cached.expiration).toBeGreaterThan(Date.now() / 1000);

    // A second command rides on the cached JWT: no second browser window.
    expect((await weep.run(['list', '-s'])).code).toBe(0);
    expect(await weep.openedUrls()).toHaveLength(1);
  });

  it('lists exactly the roles the tags grant the user and their groups, cli-only roles included', async () => {
    const tagged = await readTaggedRoles(
      stack.env.moto.url,
      accounts.map((a) => a.id),
    );
    const expected = rolesFor(tagged, { user: ALICE.email, groups: ALICE.groups }, 'cli');
    const consoleOnly = rolesFor(tagged, { user: ALICE.email, groups: ALICE.groups }, 'console');
    expect(expected.length).toBeGreaterThan(consoleOnly.length);

    const listed = await eventually(
      async () => {
        const result = await weep.run(['list', '-s']);
        const arns = arnsIn(result.stdout).sort();
        return result.code === 0 && arns.join() === expected.join() ? arns : undefined;
      },
      async () => `weep list -s: ${JSON.stringify(await weep.run(['list', '-s']))}`,
      30_000,
    );
    expect(listed).toContain(roleArn('prod', 'automation/ci-deployer'));
    expect(listed).not.toContain(roleArn('prod', 'admin'));
    expect(listed).not.toContain(roleArn('prod', 'bob-sandbox'));
  });

  it('credential_process returns Version 1 credentials that act as the role, named for the user, in its account', async () => {
    const arn = roleArn('staging', 'notifications-publisher');
    const result = await weep.run(['credential_process', arn]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(output).sort()).toEqual([
      'AccessKeyId',
      'Expiration',
      'SecretAccessKey',
      'SessionToken',
      'Version',
    ]);
    expect(output.Version).toBe(1);
    expect(Date.parse(output.Expiration as string)).toBeGreaterThan(Date.now());

    const identity = await whoAmI(stack.env.moto.url, {
      accessKeyId: output.AccessKeyId as string,
      secretAccessKey: output.SecretAccessKey as string,
      sessionToken: output.SessionToken as string,
    });
    expect(identity.Account).toBe(account('staging').id);
    expect(identity.Arn).toBe(
      `arn:aws:sts::${account('staging').id}:assumed-role/notifications-publisher/${ALICE.email}`,
    );

    const call = assumeRoleCallFor(output.AccessKeyId as string);
    expect(call?.params).toMatchObject({
      RoleArn: arn,
      RoleSessionName: ALICE.email,
      SourceIdentity: ALICE.email,
    });
  });

  it('resolves a search string the way ConsoleMe does: a unique role name picks that role', async () => {
    const result = await weep.run(['credential_process', 'app-staging']);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, string>;
    const identity = await whoAmI(stack.env.moto.url, {
      accessKeyId: output.AccessKeyId!,
      secretAccessKey: output.SecretAccessKey!,
      sessionToken: output.SessionToken!,
    });
    expect(identity.Arn).toBe(
      `arn:aws:sts::${account('staging').id}:assumed-role/app-staging/${ALICE.email}`,
    );
  });

  it('export prints the three shell export lines of working credentials', async () => {
    const arn = roleArn('dev', 'readonly');
    const result = await weep.run(['export', arn]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const vars: Record<string, string> = {};
    for (const line of lines) {
      const match = /^export (AWS_\w+)="([^"]+)"$/.exec(line);
      expect(match, line).not.toBeNull();
      vars[match![1]!] = match![2]!;
    }
    expect(Object.keys(vars).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ]);
    const identity = await whoAmI(stack.env.moto.url, {
      accessKeyId: vars.AWS_ACCESS_KEY_ID!,
      secretAccessKey: vars.AWS_SECRET_ACCESS_KEY!,
      sessionToken: vars.AWS_SESSION_TOKEN!,
    });
    expect(identity.Arn).toBe(`arn:aws:sts::${account('dev').id}:assumed-role/readonly/${ALICE.email}`);
  });

  it('file -f writes an INI profile with working credentials, replacing it on the next run', async () => {
    const arn = roleArn('prod', 'payments-oncall');
    const path = `${weep.home}/aws/credentials`;
    const first = await weep.run(['file', arn, '-o', path, '-p', 'ci', '-f']);
    expect(first.code, first.stderr).toBe(0);
    const before = parseIni(await readFile(path, 'utf8'));
    const second = await weep.run(['file', arn, '-o', path, '-p', 'ci', '-f']);
    expect(second.code, second.stderr).toBe(0);
    const profile = parseIni(await readFile(path, 'utf8')).ci!;
    expect(Object.keys(profile).sort()).toEqual([
      'aws_access_key_id',
      'aws_secret_access_key',
      'aws_session_token',
      'expiration',
    ]);
    expect(profile.aws_access_key_id).not.toBe(before.ci?.aws_access_key_id);
    expect(Number(profile.expiration)).toBeGreaterThan(Date.now() / 1000);
    const identity = await whoAmI(stack.env.moto.url, {
      accessKeyId: profile.aws_access_key_id!,
      secretAccessKey: profile.aws_secret_access_key!,
      sessionToken: profile.aws_session_token!,
    });
    expect(identity.Arn).toBe(
      `arn:aws:sts::${account('prod').id}:assumed-role/payments-oncall/${ALICE.email}`,
    );
  });

  it('serve answers the ECS credential provider endpoint with working credentials', async () => {
    const arn = roleArn('security', 'support');
    const server = await weep.serve(await freePort());
    try {
      const health = await fetch(`${server.url}/healthcheck`);
      expect(health.status).toBe(200);
      const response = await fetch(`${server.url}/ecs/${arn}`);
      expect(response.status, server.output()).toBe(200);
      const body = (await response.json()) as Record<string, string>;
      expect(Object.keys(body)).toEqual(
        expect.arrayContaining(['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration']) as unknown,
      );
      expect(body.RoleArn).toBe(arn);
      expect(body.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const identity = await whoAmI(stack.env.moto.url, {
        accessKeyId: body.AccessKeyId!,
        secretAccessKey: body.SecretAccessKey!,
        sessionToken: body.Token!,
      });
      expect(identity.Arn).toBe(`arn:aws:sts::${account('security').id}:assumed-role/support/${ALICE.email}`);
    } finally {
      await server.stop();
    }
    expect(server.child.exitCode !== null || server.child.signalCode !== null).toBe(true);
  });

  it("refuses a role the user may not use with weep's no-matching-roles error, and never calls STS for it", async () => {
    const arn = roleArn('prod', 'admin');
    const assumeCallsBefore = proxy.calls.filter((c) => c.params.RoleArn === arn).length;
    const result = await weep.run(['credential_process', arn]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no matching roles/i);
    expect(proxy.calls.filter((c) => c.params.RoleArn === arn)).toHaveLength(assumeCallsBefore);
  });

  it('refuses a role that only the cli-only tag grants to the console sign-in, and signs in to a console role', async () => {
    const roleLogin = async (arn: string) => {
      const response = await fetch(`${stack.gatewayUrl}/api/v2/role_login/${arn}`, {
        headers: asUser(ALICE.email, ALICE.groups),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const cliOnly = roleArn('prod', 'automation/ci-deployer');
    const refused = await roleLogin(cliOnly);
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ type: 'error' });
    expect(refused.body).not.toHaveProperty('redirect_url');
    // The same role is hers on the CLI: the refusal is about the channel, not the role.
    expect((await weep.run(['credential_process', cliOnly])).code).toBe(0);

    const consoleRole = roleArn('prod', 'readonly');
    const signedIn = await roleLogin(consoleRole);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ type: 'redirect', reason: 'console_login', role: consoleRole });
    const landing = await fetch(signedIn.body.redirect_url as string);
    const page = await landing.text();
    expect(landing.status).toBe(200);
    expect(page).toContain('readonly');
    expect(page).toContain(account('prod').id);
  });

  it('grants and revokes a role right after the crawl that sees its tag change, with nothing restarted', async () => {
    const dev = account('dev');
    const arn = roleArn('dev', 'bob-sandbox');
    const pids = stack.services.map((s) => s.child.pid);
    const iam = await iamIn(stack.env.moto.url, dev.id);
    const crawlDev = async () => {
      const requestedAt = new Date().toISOString();
      await waitForCrawl(
        stack,
        await refresh(stack, { accountIds: [dev.id], resourceTypes: ['iam'] }),
        requestedAt,
      );
    };
    const listsRole = async () => arnsIn((await weep.run(['list', '-s'])).stdout).includes(arn);
    const mayGet = async () => (await weep.run(['credential_process', arn])).code === 0;

    expect(await listsRole()).toBe(false);
    expect(await mayGet()).toBe(false);

    await iam.send(
      new TagRoleCommand({
        RoleName: 'bob-sandbox',
        Tags: [{ Key: AUTHORIZED_CLI_ONLY_TAG, Value: `bob@example.com:${ALICE.email}` }],
      }),
    );
    await crawlDev();
    await eventually(
      async () => ((await listsRole()) ? true : undefined),
      () => `bob-sandbox never appeared in alice's weep list after the crawl`,
      15_000,
    );
    expect(await mayGet()).toBe(true);

    await iam.send(
      new UntagRoleCommand({ RoleName: 'bob-sandbox', TagKeys: [AUTHORIZED_CLI_ONLY_TAG, AUTHORIZED_TAG] }),
    );
    await crawlDev();
    await eventually(
      async () => ((await listsRole()) ? undefined : true),
      () => `bob-sandbox stayed in alice's weep list after the crawl that saw the tag removed`,
      15_000,
    );
    const refused = await weep.run(['credential_process', arn]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no matching roles/i);

    expect(stack.services.map((s) => s.child.pid)).toEqual(pids);
    expect(stack.services.every((s) => s.child.exitCode === null)).toBe(true);
  });
});
