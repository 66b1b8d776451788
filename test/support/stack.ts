import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  freePort,
  mergeDeep,
  MOTO_CREDENTIALS,
  startTestEnvironment,
  waitForPort,
  type StartMotoOptions,
  type TestEnvironment,
} from '@rolecall/testing';
export { eventually } from '@rolecall/testing';

const ROOT = resolve(import.meta.dirname, '../..');

export type ServiceName = 'crawler' | 'cache' | 'broker' | 'requests' | 'gateway';

/** One running service process, started from its built entry point exactly as in production. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  /**
   * From now on, every whole line of the process's output that `match` accepts, kept in the returned
   * array however much it logs (`output()` keeps only the tail).
   */
  keepLines(match: (line: string) => boolean): string[];
  /** SIGKILL: no graceful shutdown, as when a machine dies. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface Stack {
  env: TestEnvironment;
  configPath: string;
  /** Where `api` calls; a test with several gateways points it at the address in front of them. */
  gatewayUrl: string;
  services: ServiceProcess[];
  /**
   * Starts one more service process. `env` is added to that process only, e.g. an AWS_ENDPOINT_URL that
   * sends the broker's AWS calls through a recording proxy in front of moto.
   */
  start(name: ServiceName, label?: string, env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /**
   * Merges more configuration into the file (deeply for objects); services started afterwards read it.
   * For settings that name the stack's own URLs, e.g. the federation endpoint at the gateway.
   */
  updateConfig(over: Record<string, unknown>): Promise<void>;
  /** Calls the gateway as a signed-in user (trusted headers from loopback). */
  api(
    path: string,
    init?: { method?: string; body?: unknown; user?: string; groups?: string[] },
  ): Promise<Response>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Merged over the test configuration (deeply for objects). */
  config?: Record<string, unknown>;
  /** Services started by startStack, in this order; default every service. */
  services?: ServiceName[];
  /** Options of the stack's own moto (its environment, e.g. INITIAL_NO_AUTH_ACTION_COUNT). */
  moto?: StartMotoOptions;
  /**
   * Runs once the servers are up and before any service starts. Credentials it returns are the services'
   * instead of moto's defaults (a moto that enforces IAM needs an IAM user's keys).
   */
  prepare?: (env: TestEnvironment) => Promise<{ accessKeyId: string; secretAccessKey: string } | void>;
  /**
   * A NATS cluster of this many nodes instead of one server; the services get every node's URL. Set
   * `nats.streamReplicas` in `config` for replicated streams.
   */
  natsCluster?: number;
}

/** Every service, in start order: consumers first, the gateway (which waits for them) last. */
export const ALL_SERVICES: readonly ServiceName[] = ['cache', 'crawler', 'broker', 'requests', 'gateway'];

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = await startTestEnvironment({
    ...(options.moto ? { moto: options.moto } : {}),
    ...(options.natsCluster ? { natsCluster: options.natsCluster } : {}),
  });
  let credentials: { accessKeyId: string; secretAccessKey: string } = MOTO_CREDENTIALS;
  try {
    credentials = (await options.prepare?.(env)) ?? MOTO_CREDENTIALS;
  } catch (error) {
    await env.stop();
    throw error;
  }
  const dir = await mkdtemp(join(tmpdir(), 'rolecall-stack-'));
  const configPath = join(dir, 'rolecall.yaml');
  const gatewayPort = await freePort();
  let config = mergeDeep(
    {
      environment: 'test',
      log: { level: 'info' },
      aws: { region: 'us-east-1', regions: ['us-east-1', 'us-west-2'], spokeRoleName: 'RolecallSpoke' },
      accounts: { source: 'organizations', organizations: { managementAccountId: '123456789012' } },
      crawl: { scheduleEnabled: false, awsConfig: { enabled: false } },
      redis: { keyPrefix: 'rc:' },
      dynamodb: { tablePrefix: 'test_' },
      s3: { bucket: 'rolecall-test-snapshots' },
      auth: { adminGroups: ['admins'] },
      // Links the gateway builds (Weep's challenge and polling URLs) must point where tests reach it.
      gateway: { publicUrl: `http://127.0.0.1:${gatewayPort}` },
    },
    options.config ?? {},
  );
  await writeFile(configPath, stringify(config));
  const processEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ROLECALL_CONFIG: configPath,
    NATS_URL: env.nats.url,
    REDIS_URL: env.redis.url,
    AWS_ENDPOINT_URL: env.moto.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ROLECALL_PORT: String(gatewayPort),
  };
  const services: ServiceProcess[] = [];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

  const start = async (
    name: ServiceName,
    label: string = name,
    extraEnv: NodeJS.ProcessEnv = {},
  ): Promise<ServiceProcess> => {
    const child = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], {
      env: { ...processEnv, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const keepers: { match: (line: string) => boolean; lines: string[] }[] = [];
    const keep = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = chunk.toString();
        log = (log + text).slice(-200_000);
        if (keepers.length === 0) return;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) for (const k of keepers) if (k.match(line)) k.lines.push(line);
      };
    };
    child.stdout?.on('data', keep());
    child.stderr?.on('data', keep());
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const service: ServiceProcess = {
      name: label,
      child,
      output: () => log,
      keepLines(match) {
        const lines: string[] = [];
        keepers.push({ match, lines });
        return lines;
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
    services.push(service);
    // Generous: on a loaded machine a cold start (module loading, NATS streams, tables) can take this long.
    // A second gateway copy is given its own ROLECALL_PORT in `extraEnv`.
    if (name === 'gateway') await waitForPort(Number(extraEnv.ROLECALL_PORT ?? gatewayPort), 90_000, child);
    return service;
  };

  const stack: Stack = {
    env,
    configPath,
    gatewayUrl,
    services,
    start,
    async updateConfig(over) {
      config = mergeDeep(config, over);
      await writeFile(configPath, stringify(config));
    },
    api(path, init = {}) {
      const headers: Record<string, string> = {
        'x-forwarded-email': init.user ?? 'admin@example.com',
        'x-forwarded-groups': (init.groups ?? ['admins']).join(','),
      };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${stack.gatewayUrl}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    },
    async stop() {
      await Promise.all(services.map((s) => s.stop()));
      await env.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const name of options.services ?? ALL_SERVICES) await start(name);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
