import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { waitForPort } from '@rolecall/testing';

const ROOT = resolve(import.meta.dirname, '../..');

/** The real weep binary: WEEP_BIN, then what scripts/install-weep.sh installed, then PATH. */
export function findWeep(): string {
  const candidates = [process.env.WEEP_BIN, join(ROOT, '.rolecall/bin/weep')];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? 'weep';
}

export interface WeepResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `weep serve` (ECS credential provider) running in the background. */
export interface WeepServer {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * One person's machine as weep sees it: a private HOME holding the weep config (challenge login as
 * `user` against `consolemeUrl`), its JWT cache (~/.weep/credentials) and log, and a PATH whose only
 * `xdg-open` is a stub. The stub is where weep hands the challenge URL to "the browser": it records the
 * URL and exits 0, so the test can play the browser, and nothing on the machine is launched.
 */
export interface WeepHome {
  home: string;
  configPath: string;
  logPath: string;
  jwtCachePath: string;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<WeepResult>;
  /** Starts a weep command without waiting for it (for a login the test completes as the browser). */
  start(args: string[]): { done: Promise<WeepResult> };
  /** URLs weep asked the browser to open, oldest first. */
  openedUrls(): Promise<string[]>;
  serve(port: number): Promise<WeepServer>;
  remove(): Promise<void>;
}

/** Weep's `mtls_settings`: the client certificate and key it presents and the CA it checks the server by. */
export interface WeepMtlsSettings {
  cert: string;
  key: string;
  catrust: string;
}

/**
 * `user` logs in by the challenge; `mtls` instead makes weep present a client certificate
 * (`authentication_method: mtls`) and nothing else.
 */
export async function createWeepHome(
  options: { consolemeUrl: string } & ({ user: string } | { mtls: WeepMtlsSettings }),
): Promise<WeepHome> {
  const binary = findWeep();
  const home = await mkdtemp(join(tmpdir(), 'rolecall-weep-home-'));
  const bin = join(home, 'bin');
  await mkdir(bin);
  const openedPath = join(home, 'opened-urls');
  await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${openedPath}'\nexit 0\n`);
  await chmod(join(bin, 'xdg-open'), 0o755);
  const configPath = join(home, 'weep.yaml');
  const logPath = join(home, 'weep.log');
  await writeFile(
    configPath,
    stringify(
      'mtls' in options
        ? {
            consoleme_url: options.consolemeUrl,
            authentication_method: 'mtls',
            mtls_settings: options.mtls,
          }
        : {
            consoleme_url: options.consolemeUrl,
            authentication_method: 'challenge',
            challenge_settings: { user: options.user },
          },
    ),
  );
  // A minimal, explicit environment: nothing from the developer's shell (AWS_*, a real HOME, a real
  // browser opener) can leak into what weep does.
  const baseEnv: NodeJS.ProcessEnv = {
    HOME: home,
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    TZ: 'UTC',
    SHELL: '/bin/bash',
    WEEP_DISABLE_INTERACTIVE_PROMPTS: '1',
  };
  const globalArgs = ['--config', configPath, '--log-file', logPath, '--log-level', 'info'];

  const launch = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(binary, [...globalArgs, ...args], {
      env: { ...baseEnv, ...env },
      cwd: home,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<WeepResult>((resolveRun, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    });
    return { child, done, output: () => stdout + stderr };
  };

  return {
    home,
    configPath,
    logPath,
    jwtCachePath: join(home, '.weep', 'credentials'),
    run: (args, env) => launch(args, env).done,
    start: (args) => ({ done: launch(args).done }),
    async openedUrls() {
      const text = await readFile(openedPath, 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean);
    },
    async serve(port) {
      const { child, done, output } = launch(['serve', '-a', '127.0.0.1', '-p', String(port)]);
      try {
        await waitForPort(port, 20_000, child);
      } catch (error) {
        child.kill('SIGKILL');
        await done;
        throw new Error(`weep serve did not listen: ${(error as Error).message}\n${output()}`);
      }
      return {
        url: `http://127.0.0.1:${port}`,
        child,
        output,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await done;
          clearTimeout(timer);
        },
      };
    },
    async remove() {
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Role ARNs in weep's output (its tables pad with tabs and spaces, so tokens are matched, not columns). */
export const arnsIn = (text: string): string[] =>
  [...text.matchAll(/arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+/g)].map((m) => m[0]);
