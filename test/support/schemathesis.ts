import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** The schemathesis CLI: SCHEMATHESIS_BIN, then what scripts/install-system-deps.sh put in .rolecall/venv. */
export function findSchemathesis(): string {
  const candidates = [
    process.env.SCHEMATHESIS_BIN,
    join(ROOT, '.rolecall/venv/bin/st'),
    join(ROOT, '.rolecall/venv/bin/schemathesis'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? 'st';
}

/**
 * Known-good values schemathesis mixes into what it generates for the named parameters, so that some
 * cases reach the data behind the API (a crawled role, a real account) instead of always answering 404.
 */
export interface FuzzDictionary {
  values: readonly string[];
  /**
   * Parameters it fills, as schemathesis spells them: `path.accountId`, `query.arn`, `body.requested_role`.
   * Bound for every operation unless `paths` names the operations' paths (as in the OpenAPI document).
   */
  parameters: readonly string[];
  paths?: readonly string[];
  /** Chance that a generated value is replaced by one of `values`. */
  probability: number;
}

export type SchemathesisPhase = 'examples' | 'coverage' | 'fuzzing' | 'stateful';

export interface SchemathesisRun {
  /** The OpenAPI document's URL; requests go to the servers it names. */
  schemaUrl: string;
  /** Sent with every request (the identity). */
  headers: Record<string, string>;
  seed: number;
  /** Cases per operation in the fuzzing phase (and the stateful phase's scenario budget). */
  maxExamples: number;
  phases: readonly SchemathesisPhase[];
  checks: readonly string[];
  workers: number;
  requestTimeoutSeconds: number;
  dictionaries?: Record<string, FuzzDictionary>;
  /** Whole-process limit: the run is killed after it, and the result says so. */
  timeoutMs: number;
}

/** The parts of schemathesis's JSON report (`--report json`) the tests read. */
export interface SchemathesisReport {
  exit_code: number;
  complete: boolean;
  operations: { total: number; selected: number; tested: number; errored: number; skipped: number };
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: { code: string; title: string; count: number; operations: string[] }[];
  errors: unknown[];
}

export interface SchemathesisResult {
  code: number | null;
  timedOut: boolean;
  /** What `st run` printed: progress, then for each failure the operation, the case and a curl to replay it. */
  output: string;
  report: SchemathesisReport | undefined;
  durationMs: number;
}

/** Runs `st run` once against a live API; the report and everything else it writes go to a temporary directory. */
export async function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisResult> {
  const dir = await mkdtemp(join(tmpdir(), 'rolecall-schemathesis-'));
  const configPath = join(dir, 'schemathesis.toml');
  const reportPath = join(dir, 'report.json');
  await writeFile(configPath, renderConfig(run.dictionaries ?? {}));
  const args = [
    '--config-file',
    configPath,
    'run',
    run.schemaUrl,
    '--seed',
    String(run.seed),
    '--max-examples',
    String(run.maxExamples),
    '--phases',
    run.phases.join(','),
    '--checks',
    run.checks.join(','),
    '--workers',
    String(run.workers),
    '--request-timeout',
    String(run.requestTimeoutSeconds),
    // The identity comes from --header alone; the document's trustedHeaders scheme is not to be fuzzed.
    '--generation-with-security-parameters',
    'false',
    // Nothing carried over from an earlier run: the seed alone decides the cases.
    '--generation-database',
    'none',
    // Test data holds no secrets; a masked value would make the printed curl replay something else.
    '--output-sanitize',
    'false',
    '--no-color',
    '--report',
    'json',
    '--report-json-path',
    reportPath,
    ...Object.entries(run.headers).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
  ];
  const started = Date.now();
  try {
    const child = spawn(findSchemathesis(), args, {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', fail);
      child.once('close', (exitCode) => done(exitCode));
    });
    clearTimeout(timer);
    const report = await readFile(reportPath, 'utf8')
      .then((text) => JSON.parse(text) as SchemathesisReport)
      .catch(() => undefined);
    return { code, timedOut, output, report, durationMs: Date.now() - started };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The part of the output worth showing when a run fails: from the first FAILURES or ERRORS banner on
 * (each failing operation, its case, the curl to reproduce it, the summary). Generated inputs can be
 * long, so every other line is shortened; the curl lines are kept whole, since they are the reproducer.
 */
export function failureReport(output: string, maxChars = 400_000): string {
  const start = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  const relevant = start >= 0 ? output.slice(start) : output;
  const lines = relevant
    .split('\n')
    .map((line) =>
      line.length > 2_000 && !/^\s*curl /.test(line)
        ? `${line.slice(0, 2_000)}… (${line.length} characters)`
        : line,
    );
  const text = lines.join('\n');
  return text.length > maxChars
    ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`
    : text;
}

/** schemathesis.toml: each dictionary, bound globally or to the operations of the paths it names. */
function renderConfig(dictionaries: Record<string, FuzzDictionary>): string {
  const lines: string[] = [];
  const global: string[] = [];
  const scoped: { path: string; binding: string }[] = [];
  for (const [name, dictionary] of Object.entries(dictionaries)) {
    lines.push(`[dictionaries.${name}]`, `values = [${dictionary.values.map(toml).join(', ')}]`, '');
    for (const parameter of dictionary.parameters) {
      const binding = `${toml(parameter)} = { dictionary = ${toml(name)}, probability = ${dictionary.probability} }`;
      if (dictionary.paths === undefined) global.push(binding);
      else for (const path of dictionary.paths) scoped.push({ path, binding });
    }
  }
  if (global.length > 0) lines.push('[parameters]', ...global, '');
  for (const path of new Set(scoped.map((s) => s.path))) {
    lines.push('[[operations]]', `include-path = ${toml(path)}`, '[operations.parameters]');
    lines.push(...scoped.filter((s) => s.path === path).map((s) => s.binding), '');
  }
  return lines.join('\n');
}

/** A TOML basic string; JSON's escapes are TOML's for the text used here (no `\/`). */
const toml = (value: string) => JSON.stringify(value);
