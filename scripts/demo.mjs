#!/usr/bin/env node
// `npm run demo` / `npm run demo:stop`: the whole of Rolecall on one machine, AWS played by moto.
//
//   node scripts/demo.mjs                start (install, build, servers, seed, services, first crawl)
//   node scripts/demo.mjs stop           stop everything the demo started
//   node scripts/demo.mjs --infra-only   only NATS, Redis and moto, seeded, with tables and bucket
//   node scripts/demo.mjs --skip-build   do not run the installer, npm ci or the build
//
// Plain Node ESM on purpose: it has to run before anything is built. The built @rolecall/shared is
// imported only after the build step.
// The services run on this script's own Node (process.execPath), so it refuses to start them on a Node older
// than 22; `npm run demo` runs it through scripts/node24.sh, which provides Node 24 where the machine's is older.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = join(root, '.rolecall');
const logDir = join(stateDir, 'logs');
const stateFile = join(stateDir, 'demo.json');
const envFile = join(stateDir, 'demo.env');
const configPath = join(root, 'config', 'rolecall.yaml');
const gatewayPort = Number(process.env.ROLECALL_DEMO_PORT ?? 8081);
const url = `http://127.0.0.1:${gatewayPort}`;
const waitSeconds = Number(process.env.ROLECALL_DEMO_TIMEOUT_SECONDS ?? 600);
const SERVICES = ['cache', 'crawler', 'broker', 'requests', 'gateway'];
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
/** The engines' lower bound; the services run on this script's own Node, so `start` refuses an older one. */
const MIN_NODE_MAJOR = 22;
const ADMIN_HEADERS = { 'X-Forwarded-Email': 'admin@example.com', 'X-Forwarded-Groups': 'admins' };

/** Set by SIGINT/SIGTERM while starting; checked between steps and while waiting. */
let interrupted = false;

const rel = (path) => relative(process.cwd(), path) || '.';
const say = (line) => console.log(line);

class StepError extends Error {
  constructor(step, message, logFile) {
    super(message);
    this.step = step;
    this.logFile = logFile;
  }
}

// ---- process bookkeeping -------------------------------------------------------------------------

/** A pid is ours only while it is alive and still runs the command we started (pids get reused). */
function isOurs(entry) {
  try {
    process.kill(entry.pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${entry.pid}/cmdline`;
  if (!entry.match || !existsSync(cmdline)) return true;
  return readFileSync(cmdline, 'utf8').includes(entry.match);
}

function readState() {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
}

const writeState = (state) => writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stopProcess(entry) {
  if (!isOurs(entry)) return false;
  try {
    process.kill(entry.pid, 'SIGTERM');
  } catch {
    return false;
  }
  for (let i = 0; i < 100; i += 1) {
    if (!isOurs(entry)) return true;
    await sleep(100);
  }
  try {
    process.kill(entry.pid, 'SIGKILL');
  } catch {
    // it exited between the check and the kill
  }
  return true;
}

/** Services first (they drain NATS and close Redis on SIGTERM), then the servers they talk to. */
async function stopAll(state, { quiet = false } = {}) {
  const processes = state?.processes ?? [];
  const order = [
    ...processes.filter((p) => p.kind === 'service'),
    ...processes.filter((p) => p.kind !== 'service'),
  ];
  for (const entry of order) {
    const stopped = await stopProcess(entry);
    if (stopped && !quiet) say(`  stopped ${entry.name} (pid ${entry.pid})`);
  }
}

// ---- ports ---------------------------------------------------------------------------------------

const portIsFree = (port) =>
  new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });

const anyFreePort = () =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });

const choosePort = async (preferred) => ((await portIsFree(preferred)) ? preferred : anyFreePort());

const portOpen = (port) =>
  new Promise((done) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

// ---- steps ---------------------------------------------------------------------------------------

function runLogged(step, command, args, logName, extraEnv = {}) {
  const logFile = join(logDir, `${logName}.log`);
  const fd = openSync(logFile, 'w');
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...extraEnv },
  });
  closeSync(fd);
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : `exit code ${result.status}`;
    throw new StepError(step, `${command} ${args.join(' ')} failed (${reason})`, logFile);
  }
}

function findBinary(name) {
  const candidates = [
    join(stateDir, 'venv/bin', name),
    `/usr/sbin/${name}`,
    `/usr/bin/${name}`,
    `/usr/local/bin/${name}`,
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : name;
}

/** Starts a process in its own session so it outlives this script; its output goes to its log file. */
async function startDetached(state, { name, kind, command, args, env = {}, port, match }) {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(command, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  let exitCode = null;
  child.once('exit', (code, signal) => {
    exitCode = code ?? signal;
  });
  child.unref();
  if (child.pid) {
    state.processes.push({ name, kind, pid: child.pid, port, match, log: rel(logFile) });
    writeState(state);
  }
  const deadline = Date.now() + 60_000;
  const listening = (async () => {
    while (Date.now() < deadline) {
      if (exitCode !== null) throw new StepError(`start ${name}`, `${name} exited (${exitCode})`, logFile);
      if (await portOpen(port)) return;
      await sleep(100);
    }
    throw new StepError(`start ${name}`, `${name} did not listen on 127.0.0.1:${port} within 60 s`, logFile);
  })();
  try {
    await Promise.race([listening, spawnError]);
  } catch (error) {
    if (error instanceof StepError) throw error;
    throw new StepError(`start ${name}`, `cannot run ${command}: ${error.message}`, logFile);
  }
  return logFile;
}

async function startServers(state) {
  const ports = {
    nats: await choosePort(Number(process.env.ROLECALL_DEMO_NATS_PORT ?? 4222)),
    redis: await choosePort(Number(process.env.ROLECALL_DEMO_REDIS_PORT ?? 6379)),
    moto: await choosePort(Number(process.env.ROLECALL_DEMO_MOTO_PORT ?? 5000)),
  };
  // moto keeps everything in memory, so the organization (and its account ids) is new on every start;
  // JetStream and Redis contents from an earlier run would describe accounts that no longer exist.
  rmSync(join(stateDir, 'nats'), { recursive: true, force: true });
  mkdirSync(join(stateDir, 'nats'), { recursive: true });
  mkdirSync(join(stateDir, 'redis'), { recursive: true });

  const nats = findBinary('nats-server');
  await startDetached(state, {
    name: 'nats',
    kind: 'server',
    command: nats,
    args: ['-a', '127.0.0.1', '-p', String(ports.nats), '-js', '-sd', join(stateDir, 'nats')],
    port: ports.nats,
    match: 'nats-server',
  });
  await startDetached(state, {
    name: 'redis',
    kind: 'server',
    command: findBinary('redis-server'),
    args: ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    port: ports.redis,
    match: 'redis-server',
  });
  await startDetached(state, {
    name: 'moto',
    kind: 'server',
    command: findBinary('moto_server'),
    args: ['-H', '127.0.0.1', '-p', String(ports.moto)],
    // AWS managed policies (ReadOnlyAccess…) let the demo roles attach them as real accounts do.
    env: { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    port: ports.moto,
    match: 'moto_server',
  });
  state.ports = { ...state.ports, ...ports };
  state.endpoints = {
    NATS_URL: `nats://127.0.0.1:${ports.nats}`,
    REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.moto}`,
  };
  writeState(state);
  say(
    `  nats ${state.endpoints.NATS_URL}, redis ${state.endpoints.REDIS_URL}, moto ${state.endpoints.AWS_ENDPOINT_URL}`,
  );
}

async function seedAndPrepare(state) {
  const { prepareDemo } = await import('./seed-demo.mjs');
  const { config, organization } = await prepareDemo({
    env: serviceEnv(state),
    onProgress: (line) => say(`  ${line}`),
  });
  state.organization = {
    managementAccountId: organization.managementAccountId,
    accounts: organization.accounts,
    hubRoleArn: organization.hubRoleArn,
  };
  state.demoUsers = organization.demoUsers;
  writeState(state);
  return config;
}

function serviceEnv(state) {
  return {
    ...process.env,
    ...AWS_ENV,
    ...state.endpoints,
    ROLECALL_CONFIG: configPath,
    ROLECALL_PORT: String(gatewayPort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // Real credentials from the caller's shell must never reach moto-bound services (or real AWS).
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_DEFAULT_PROFILE: '',
  };
}

async function startServices(state) {
  for (const name of SERVICES) {
    const entry = join(root, 'services', name, 'dist', 'main.js');
    if (!existsSync(entry)) {
      throw new StepError(
        `start ${name}`,
        `${rel(entry)} does not exist: the build did not produce it`,
        join(logDir, 'build.log'),
      );
    }
  }
  const env = serviceEnv(state);
  for (const name of SERVICES) {
    const entry = join(root, 'services', name, 'dist', 'main.js');
    if (name === 'gateway') {
      await startDetached(state, {
        name,
        kind: 'service',
        command: process.execPath,
        args: [entry],
        env,
        port: gatewayPort,
        match: entry,
      });
    } else {
      await startNonListening(state, { name, entry, env });
    }
    say(`  ${name} started (log ${rel(join(logDir, `${name}.log`))})`);
  }
}

/** The cache and crawler listen on nothing; "started" means still alive a moment after launch. */
async function startNonListening(state, { name, entry, env }) {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    detached: true,
    stdio: ['ignore', fd, fd],
    env,
  });
  closeSync(fd);
  let exitCode = null;
  child.once('exit', (code, signal) => {
    exitCode = code ?? signal;
  });
  child.unref();
  state.processes.push({ name, kind: 'service', pid: child.pid, match: entry, log: rel(logFile) });
  writeState(state);
  await sleep(1500);
  if (exitCode !== null)
    throw new StepError(`start ${name}`, `${name} exited (${exitCode}) right after start`, logFile);
}

/** Waits until every account × crawl type has finished once (successfully or with an error). */
async function waitForFirstCrawl(state, config) {
  const { CrawlTypes } = await import('@rolecall/shared/contracts');
  const types = CrawlTypes.filter((t) => t !== 'config' || config.crawl.awsConfig.enabled);
  const accounts = state.organization.accounts.map((a) => a.id);
  const expected = accounts.length * types.length;
  const deadline = Date.now() + waitSeconds * 1000;
  const tty = process.stdout.isTTY;
  let lastLine = '';
  let lastProblem = '';
  while (Date.now() < deadline && !interrupted) {
    const crawlers = state.processes.filter((p) => p.kind === 'service');
    const dead = crawlers.find((p) => !isOurs(p));
    if (dead) throw new StepError('first crawl', `${dead.name} stopped while waiting`, join(root, dead.log));
    let rows = [];
    try {
      const response = await fetch(`${url}/api/v3/cache/status`, { headers: ADMIN_HEADERS });
      if (response.ok) rows = (await response.json()).data ?? [];
      else lastProblem = `status ${response.status}`;
    } catch (error) {
      lastProblem = error.message;
    }
    const finished = rows.filter(
      (r) =>
        accounts.includes(r.accountId) && types.includes(r.crawlType) && (r.lastSuccessAt || r.lastError),
    );
    const done = new Set(finished.map((r) => `${r.accountId}/${r.crawlType}`)).size;
    const line = `  first crawl: ${done}/${expected} (account × type) finished`;
    if (tty) process.stdout.write(`\r${line}`);
    else if (line !== lastLine) say(line);
    lastLine = line;
    if (done >= expected) {
      if (tty) process.stdout.write('\n');
      return finished;
    }
    await sleep(2000);
  }
  if (tty) process.stdout.write('\n');
  if (interrupted) throw new StepError('first crawl', 'interrupted');
  throw new StepError(
    'first crawl',
    `not every account and type finished within ${waitSeconds} s (${lastLine.trim()}${lastProblem ? `; last problem: ${lastProblem}` : ''}); set ROLECALL_DEMO_TIMEOUT_SECONDS to wait longer`,
    join(logDir, 'crawler.log'),
  );
}

function writeDemoEnv(state) {
  const lines = {
    ROLECALL_URL: state.infraOnly ? '' : url,
    ...state.endpoints,
    ...AWS_ENV,
  };
  writeFileSync(
    envFile,
    `${Object.entries(lines)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
}

function printSummary(state, finished) {
  const accounts = state.organization.accounts;
  say('');
  say(
    state.infraOnly
      ? 'Rolecall demo infrastructure is running (no services).'
      : `Rolecall is running: ${url}`,
  );
  if (!state.infraOnly) {
    say(`  web UI:   ${url}/ (opens on the sign-in page: pick a demo user)`);
    say(`  API docs: ${url}/docs`);
  }
  say(`  accounts: ${accounts.map((a) => `${a.name} ${a.id}`).join(', ')}`);
  const failed = (finished ?? []).filter((r) => r.lastError && !r.lastSuccessAt);
  if (finished) {
    say(`  first crawl: ${finished.length - failed.length} succeeded, ${failed.length} failed`);
    for (const row of failed.slice(0, 10)) {
      say(
        `    ${row.accountName ?? row.accountId} ${row.crawlType}: ${row.lastError.code} ${row.lastError.message}`,
      );
    }
  }
  say('');
  say(
    'Demo users (sign in as one on the sign-in page, or send X-Forwarded-Email and X-Forwarded-Groups from this machine,',
  );
  say('e.g. curl -H X-Forwarded-Email:alice@example.com -H X-Forwarded-Groups:engineering,payments …):');
  const width = Math.max(...state.demoUsers.map((u) => u.email.length));
  for (const user of state.demoUsers) {
    say(`  ${user.email.padEnd(width)}  groups: ${user.groups.join(', ')}`);
    say(`  ${''.padEnd(width)}  ${user.description}`);
  }
  say('');
  say(`Logs:      ${rel(logDir)}/ (${state.processes.map((p) => `${p.name}.log`).join(', ')})`);
  say(`Endpoints: ${rel(envFile)} (for scripts: set -a; . ${rel(envFile)}; set +a)`);
  say('Stop:      npm run demo:stop');
}

// ---- commands ------------------------------------------------------------------------------------

async function start(flags) {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < MIN_NODE_MAJOR) {
    console.error(
      `The demo's services need Node.js ${MIN_NODE_MAJOR} or newer and would run on this Node, ${process.version} (${process.execPath}).`,
    );
    console.error(
      'Start it with `npm run demo`, which runs it on Node 24 (installed into .rolecall/node when the machine has an older one),',
    );
    console.error('or with: bash scripts/node24.sh node scripts/demo.mjs');
    process.exitCode = 1;
    return;
  }
  mkdirSync(logDir, { recursive: true });
  const previous = readState();
  if (previous) {
    const alive = [
      { name: 'demo script', pid: previous.ownerPid, match: 'demo.mjs' },
      ...(previous.processes ?? []),
    ].filter((p) => p.pid && isOurs(p));
    if (alive.length > 0) {
      const what = previous.status === 'starting' ? 'is starting' : 'is already running';
      say(`A Rolecall demo ${what}${previous.infraOnly ? '' : `: ${previous.url ?? url}`}`);
      say(`  (pids ${alive.map((p) => `${p.name} ${p.pid}`).join(', ')}; state in ${rel(stateFile)})`);
      say('Stop it first with: npm run demo:stop');
      process.exitCode = 1;
      return;
    }
    say(`Removing the state of a demo that is no longer running (${rel(stateFile)}).`);
    rmSync(stateFile, { force: true });
  }

  const state = {
    status: 'starting',
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    infraOnly: flags.infraOnly,
    url: flags.infraOnly ? undefined : url,
    ports: flags.infraOnly ? {} : { gateway: gatewayPort },
    processes: [],
  };
  writeState(state);

  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const step = async (name, work) => {
    if (interrupted) throw new StepError(name, 'interrupted');
    say(`• ${name}`);
    try {
      return await work();
    } catch (error) {
      if (error instanceof StepError) throw error;
      throw new StepError(name, error?.message ?? String(error));
    }
  };

  try {
    if (!flags.infraOnly && !(await portIsFree(gatewayPort))) {
      throw new StepError(
        'check ports',
        `port ${gatewayPort} on 127.0.0.1 is in use by another program; free it, or choose another port with ROLECALL_DEMO_PORT=<port> npm run demo`,
      );
    }
    if (!flags.skipBuild) {
      await step('install system dependencies (nats-server, redis-server, moto)', () =>
        runLogged(
          'install system dependencies',
          'bash',
          [join(root, 'scripts/install-system-deps.sh')],
          'install',
          // The demo drives no browser; the browser tests (and CI) install chromium.
          { ROLECALL_WITH_CHROMIUM: '0' },
        ),
      );
      if (!existsSync(join(root, 'node_modules'))) {
        await step('npm ci', () => runLogged('npm ci', 'npm', ['ci', '--no-audit', '--no-fund'], 'npm-ci'));
      }
      await step('build (npm run build)', () => runLogged('build', 'npm', ['run', 'build'], 'build'));
    }
    await step('start nats-server, redis-server and moto_server', () => startServers(state));
    const config = await step('seed the demo organization, create tables, bucket and streams', () =>
      seedAndPrepare(state),
    );
    let finished;
    if (!flags.infraOnly) {
      await step('start the cache, crawler, broker, requests and gateway', () => startServices(state));
      finished = await step(`wait for the first crawl of every account (up to ${waitSeconds} s)`, () =>
        waitForFirstCrawl(state, config),
      );
    }
    if (interrupted) throw new StepError('start', 'interrupted');
    writeDemoEnv(state);
    state.status = 'running';
    delete state.ownerPid;
    writeState(state);
    printSummary(state, finished);
  } catch (error) {
    const failure =
      error instanceof StepError ? error : new StepError('start', error?.message ?? String(error));
    console.error(`\nThe demo failed at step "${failure.step}": ${failure.message}`);
    if (failure.logFile) console.error(`Read ${rel(failure.logFile)} for details.`);
    console.error('Stopping what was started…');
    await stopAll(state, { quiet: false });
    rmSync(stateFile, { force: true });
    rmSync(envFile, { force: true });
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function stop() {
  const state = readState();
  if (!state) {
    say('No Rolecall demo is running (no .rolecall/demo.json).');
    return;
  }
  if (state.status === 'starting' && state.ownerPid && isOurs({ pid: state.ownerPid, match: 'demo.mjs' })) {
    // The starting script stops what it started once it sees the signal.
    process.kill(state.ownerPid, 'SIGTERM');
    say(`Asked the starting demo (pid ${state.ownerPid}) to stop.`);
  }
  say('Stopping the Rolecall demo…');
  await stopAll(state);
  rmSync(stateFile, { force: true });
  rmSync(envFile, { force: true });
  say('Stopped.');
}

const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('--')) ?? 'start';
const flags = { infraOnly: args.includes('--infra-only'), skipBuild: args.includes('--skip-build') };
process.chdir(root);
if (command === 'stop') await stop();
else if (command === 'start') await start(flags);
else {
  console.error('usage: node scripts/demo.mjs [start|stop] [--infra-only] [--skip-build]');
  process.exitCode = 2;
}
