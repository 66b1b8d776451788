import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const wrapper = fileURLToPath(new URL('./node24.sh', import.meta.url));
const expectedPackage = `node-${process.platform === 'darwin' ? 'darwin' : 'linux'}-${process.arch}@24`;

/** A stand-in `node` that only reports a version, as `node -v` does. */
const fakeNode = (version: string) => `#!/bin/sh\necho v${version}\n`;

/**
 * A stand-in `npm` that records its arguments and, for `pack`, writes a tarball laid out as the registry's
 * node-<os>-<arch> package (package/bin/node) into the current directory, or fails when FAKE_NPM_FAIL is set.
 */
const FAKE_NPM = `#!/bin/sh
echo "$*" >> "$NPM_LOG"
[ "$1" = pack ] || exit 1
if [ -n "$FAKE_NPM_FAIL" ]; then echo "npm error 404 Not Found" >&2; exit 1; fi
mkdir -p work/package/bin
printf '#!/bin/sh\\necho v24.1.0\\n' > work/package/bin/node
chmod +x work/package/bin/node
tar -czf node-fake-24.1.0.tgz -C work package
rm -rf work
echo node-fake-24.1.0.tgz
`;

describe('scripts/node24.sh', () => {
  let dir: string;
  let installDir: string;
  let npmLog: string;

  const writeExecutable = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  };

  /** Runs the wrapper with only the fakes and the system's basic tools on PATH. */
  const run = (pathNode: string, args: string[], env: Record<string, string> = {}) => {
    writeExecutable(join(dir, 'path-node', 'node'), fakeNode(pathNode));
    const result = spawnSync('bash', [wrapper, ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${join(dir, 'path-node')}:${join(dir, 'npm')}:/usr/bin:/bin`,
        HOME: dir,
        NPM_LOG: npmLog,
        ROLECALL_NODE_DIR: installDir,
        ...env,
      },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  const npmCalls = () =>
    existsSync(npmLog) ? readFileSync(npmLog, 'utf8').trim().split('\n').filter(Boolean) : [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rolecall-node24-'));
    installDir = join(dir, 'rolecall', 'node');
    npmLog = join(dir, 'npm.log');
    writeExecutable(join(dir, 'npm', 'npm'), FAKE_NPM);
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs Node 24 from the npm registry package when the node on PATH is 20, and puts it first on PATH', () => {
    const result = run('20.19.0', ['node -v; command -v node; echo "$NODE"']);

    expect(result.status, result.stderr).toBe(0);
    const installed = join(installDir, 'bin', 'node');
    expect(result.stdout.trim().split('\n')).toEqual(['v24.1.0', installed, installed]);
    expect(npmCalls()).toEqual([`pack --loglevel=error ${expectedPackage}`]);
    expect(result.stderr).toContain('installing Node.js');
  });

  it('reuses the installed Node 24 on a second run without asking npm again', () => {
    expect(run('20.19.0', ['true']).status).toBe(0);
    const second = run('20.19.0', ['node -v']);

    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe('v24.1.0');
    expect(second.stderr).toBe('');
    expect(npmCalls()).toHaveLength(1);
  });

  it('replaces an installed copy that does not run', () => {
    writeExecutable(join(installDir, 'bin', 'node'), '#!/bin/sh\nexit 1\n');
    const result = run('20.19.0', ['node -v']);

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('v24.1.0');
    expect(npmCalls()).toHaveLength(1);
  });

  it('leaves PATH alone when the node on PATH is already 22 or newer', () => {
    const result = run('22.12.0', ['node -v; command -v node']);

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['v22.12.0', join(dir, 'path-node', 'node')]);
    expect(npmCalls()).toEqual([]);
    expect(existsSync(installDir)).toBe(false);
  });

  it('fails with the reason and leaves nothing installed when npm cannot fetch the package', () => {
    const result = run('20.19.0', ['echo ran'], { FAKE_NPM_FAIL: '1' });

    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('ran');
    expect(result.stderr).toContain(`npm pack ${expectedPackage} failed`);
    expect(existsSync(installDir)).toBe(false);
  });

  it('appends extra arguments to the command line, quoted, as npm run does with `-- <args>`', () => {
    const result = run('22.12.0', ['printf "%s|"', 'a b', '$HOME', "it's"]);

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe("a b|$HOME|it's|");
  });

  it('passes on the exit status of the command', () => {
    expect(run('22.12.0', ['exit 3']).status).toBe(3);
  });
});
