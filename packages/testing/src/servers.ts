import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** A local server a test started; `stop()` kills it and removes its files. */
export interface RunningServer {
  url: string;
  port: number;
  process?: ChildProcess;
  stop(): Promise<void>;
  /** Kills the server and starts it again on the same port with the same data (restart tests). */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 20_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((done) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Finds a binary: an explicit path from the environment, the project's .rolecall venv, then PATH. */
export function findBinary(name: string, envVar?: string): string {
  const fromEnv = envVar ? process.env[envVar] : undefined;
  if (fromEnv) return fromEnv;
  const candidates = [
    resolve(process.cwd(), '.rolecall/venv/bin', name),
    resolve(process.cwd(), '../../.rolecall/venv/bin', name),
    `/usr/sbin/${name}`,
    `/usr/bin/${name}`,
    `/usr/local/bin/${name}`,
  ];
  return candidates.find((c) => existsSync(c)) ?? name;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

interface ManagedServerSpec {
  name: string;
  binary: string;
  args: (port: number, dataDir: string) => string[];
  url: (port: number) => string;
  env?: NodeJS.ProcessEnv;
}

async function startManaged(spec: ManagedServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), `rolecall-${spec.name}-`));
  const launch = async () => {
    const child = spawn(spec.binary, spec.args(port, dataDir), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...spec.env },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, 30_000, child);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} (${spec.binary}) did not start: ${(error as Error).message}\n${stderr}`);
    }
    return child;
  };
  const server: RunningServer = {
    url: spec.url(port),
    port,
    process: await launch(),
    async stop() {
      await stopChild(server.process);
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await stopChild(server.process);
      server.process = await launch();
    },
  };
  return server;
}

/** nats-server with JetStream, storing in a temporary directory. */
export const startNats = () =>
  startManaged({
    name: 'nats',
    binary: findBinary('nats-server', 'NATS_SERVER_BIN'),
    args: (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    url: (port) => `nats://127.0.0.1:${port}`,
  });

/** A NATS cluster a test started: `url` lists every node, comma-separated, as `nats.url` accepts it. */
export interface RunningNatsCluster extends RunningServer {
  /** The nodes, each killable and restartable on its own (`process.kill('SIGKILL')` to lose one). */
  nodes: RunningServer[];
  /** Each node's server name (`node-1`, …), as stream info names a leader, in the order of `nodes`. */
  names: string[];
  /** Each node's monitoring endpoint (`/connz`, `/jsz`, `/healthz`), in the order of `nodes`. */
  monitorUrls: string[];
}

/**
 * `size` nats-server processes on loopback joined by cluster routes, JetStream clustered (each node its
 * own store and server name), so streams can have up to `size` replicas. Resolves once JetStream has a
 * meta leader: before that a stream cannot be created.
 */
export async function startNatsCluster(size = 3): Promise<RunningNatsCluster> {
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const monitorPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const nodes = await Promise.all(
    routePorts.map((routePort, n) =>
      startManaged({
        name: `nats-${n + 1}`,
        binary: findBinary('nats-server', 'NATS_SERVER_BIN'),
        args: (port, dir) => [
          ...['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPorts[n]), '-js', '-sd', dir],
          ...['-n', `node-${n + 1}`, '--cluster_name', 'rolecall-test'],
          ...['--cluster', `nats://127.0.0.1:${routePort}`, '--routes', routes],
        ],
        url: (port) => `nats://127.0.0.1:${port}`,
      }),
    ),
  );
  const cluster: RunningNatsCluster = {
    url: nodes.map((n) => n.url).join(','),
    port: nodes[0]!.port,
    nodes,
    names: nodes.map((_, n) => `node-${n + 1}`),
    monitorUrls: monitorPorts.map((p) => `http://127.0.0.1:${p}`),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    async restart() {
      for (const node of nodes) await node.restart();
    },
  };
  try {
    await waitForJetStreamCluster(monitorPorts);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * Waits until every node's /healthz says JetStream is current and its /jsz names the meta leader: before
 * a leader is elected, a stream cannot be created (a health check alone passes earlier on some versions).
 */
async function waitForJetStreamCluster(monitorPorts: number[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const ask = async (port: number) => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    const jsz = (await (await fetch(`http://127.0.0.1:${port}/jsz`)).json()) as {
      meta_cluster?: { leader?: string };
    };
    const leader = jsz.meta_cluster?.leader ?? '';
    return { ok: health.ok && leader !== '', text: `${await health.text()} leader=${leader}` };
  };
  while (Date.now() < deadline) {
    const answers = await Promise.all(
      monitorPorts.map((port) => ask(port).catch((error: Error) => ({ ok: false, text: error.message }))),
    );
    if (answers.every((a) => a.ok)) return;
    last = answers.map((a) => a.text).join(' | ');
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the NATS cluster's JetStream was not healthy within ${timeoutMs} ms: ${last}`);
}

/** redis-server with persistence off (tests that need durability use DynamoDB/S3, as production does). */
export const startRedis = () =>
  startManaged({
    name: 'redis',
    binary: findBinary('redis-server', 'REDIS_SERVER_BIN'),
    args: (port, dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    url: (port) => `redis://127.0.0.1:${port}`,
  });

export interface StartMotoOptions {
  /**
   * Loads AWS managed policies (arn:aws:iam::aws:policy/…) into every account, so roles can attach
   * them; off by default because it makes each account's first IAM call slower.
   */
  loadAwsManagedPolicies?: boolean;
  /**
   * More environment for moto's process, e.g. `INITIAL_NO_AUTH_ACTION_COUNT` (moto answers that many
   * requests without checking who sends them, then enforces IAM on every later one).
   */
  env?: Readonly<Record<string, string>>;
}

/**
 * The Python that runs moto: the one beside a `moto_server` in a virtualenv, else `python3` on PATH
 * (a pyenv or system install, where `moto_server` is a shim or a script of that Python).
 */
function motoPython(): string {
  const server = findBinary('moto_server', 'MOTO_SERVER_BIN');
  const beside = join(dirname(server), 'python');
  return server.includes('/') && existsSync(beside) ? beside : 'python3';
}

/** Starts moto as moto_server does, but with DynamoDB calls serialised: see the script's docstring. */
const MOTO_SCRIPT = resolve(import.meta.dirname, '../moto/serve_moto.py');

/** moto in server mode: every AWS API, with real multi-account behaviour through AssumeRole. */
export const startMoto = (options: StartMotoOptions = {}) =>
  startManaged({
    name: 'moto',
    binary: motoPython(),
    args: (port) => [MOTO_SCRIPT, '127.0.0.1', String(port)],
    url: (port) => `http://127.0.0.1:${port}`,
    env: {
      ...(options.loadAwsManagedPolicies ? { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : {}),
      ...options.env,
    },
  });

/** Credentials moto accepts; they map to moto's default account 123456789012. */
export const MOTO_CREDENTIALS = {
  accessKeyId: 'testing',
  secretAccessKey: 'testing',
  sessionToken: 'testing',
};
export const MOTO_DEFAULT_ACCOUNT = '123456789012';

/** Options for an AWS client of moto's default account at `endpointUrl`, for `awsClientConfig`. */
export const motoClientOptions = (endpointUrl: string, region = 'us-east-1') => ({
  region,
  endpointUrl,
  credentials: MOTO_CREDENTIALS,
});

export interface TestEnvironment {
  /** One server, or with `natsCluster` the whole cluster (its url lists every node). */
  nats: RunningServer;
  /** The cluster (its nodes, names and monitoring URLs), when the environment was started with `natsCluster`. */
  natsCluster?: RunningNatsCluster;
  redis: RunningServer;
  moto: RunningServer;
  stop(): Promise<void>;
}

/**
 * Starts the three servers a test file needs, each on a free loopback port. URLs given in
 * ROLECALL_TEST_NATS_URL / _REDIS_URL / _AWS_ENDPOINT are used instead of starting a server.
 */
export async function startTestEnvironment(
  options: {
    moto?: StartMotoOptions;
    /** Starts a NATS cluster of this many nodes (always this test's own) instead of one server. */
    natsCluster?: number;
  } = {},
): Promise<TestEnvironment> {
  const [nats, redis, moto] = await Promise.all([
    options.natsCluster
      ? startNatsCluster(options.natsCluster)
      : (external(process.env.ROLECALL_TEST_NATS_URL) ?? startNats()),
    external(process.env.ROLECALL_TEST_REDIS_URL) ?? startRedis(),
    // A moto with its own environment (IAM enforced, say) is always this test's own.
    (options.moto?.env ? undefined : external(process.env.ROLECALL_TEST_AWS_ENDPOINT)) ??
      startMoto(options.moto),
  ]);
  return {
    nats,
    ...('nodes' in nats ? { natsCluster: nats as RunningNatsCluster } : {}),
    redis,
    moto,
    async stop() {
      await Promise.all([nats.stop(), redis.stop(), moto.stop()]);
    },
  };
}

function external(url: string | undefined): Promise<RunningServer> | undefined {
  if (!url) return undefined;
  const port = Number(new URL(url).port);
  return Promise.resolve({ url, port, stop: async () => {}, restart: async () => {} });
}
