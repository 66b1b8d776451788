import { readFile } from 'node:fs/promises';
import { Value } from 'typebox/value';
import { parse } from 'yaml';
import { schemaProblems } from '../contracts/schema-problems.js';
import { AppError } from '../errors/index.js';
import { checkConfigRules, type ConfigProblem, type RolecallService } from './rules.js';
import { RolecallConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/rolecall.yaml';

/**
 * Well-known variables that override one key each. Any other key can be set with
 * ROLECALL__SECTION__KEY=value (double underscores separate the path; values are parsed as YAML).
 */
const WELL_KNOWN_ENV: Record<string, string[]> = {
  NATS_URL: ['nats', 'url'],
  REDIS_URL: ['redis', 'url'],
  AWS_ENDPOINT_URL: ['aws', 'endpointUrl'],
  AWS_REGION: ['aws', 'region'],
  ROLECALL_PORT: ['gateway', 'port'],
  LOG_LEVEL: ['log', 'level'],
};

export interface ParseConfigOptions {
  /** The service about to run on the config: its own cross-key rules apply too (see CONFIG_RULES). */
  service?: RolecallService;
}

/** Reads, overrides, defaults and validates; throws one INVALID_CONFIG error listing every problem. */
export async function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  path = env.ROLECALL_CONFIG ?? DEFAULT_CONFIG_PATH,
  options: ParseConfigOptions = {},
): Promise<RolecallConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AppError('INVALID_CONFIG', `cannot read config file ${path}: ${(cause as Error).message}`, {
      context: { problems: [{ path, message: 'file not readable' }] },
    });
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (cause) {
    throw new AppError(
      'INVALID_CONFIG',
      `config file ${path} is not valid YAML: ${(cause as Error).message}`,
      {
        context: { problems: [{ path, message: 'invalid YAML' }] },
      },
    );
  }
  return parseConfig(applyEnvOverrides(raw, env), path, options);
}

/**
 * Defaults and validates: the schema, then the cross-key rules (every service's, and `options.service`'s own).
 * Throws one INVALID_CONFIG error listing every problem with its path; returns the config frozen.
 */
export function parseConfig(
  raw: unknown,
  source = 'config',
  options: ParseConfigOptions = {},
): RolecallConfig {
  const candidate = Value.Default(RolecallConfig, structuredClone(raw ?? {}));
  const refusedBySchema: ConfigProblem[] = schemaProblems(Value.Errors(RolecallConfig, candidate)).map(
    ({ path, message }) => ({ path: path || '/', message }),
  );
  const problems = [
    ...refusedBySchema,
    ...checkConfigRules(candidate as RolecallConfig, {
      service: options.service,
      schemaProblems: refusedBySchema,
    }),
  ];
  if (problems.length > 0) {
    const list = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new AppError('INVALID_CONFIG', `${source} has ${problems.length} problem(s):\n${list}`, {
      context: { problems },
    });
  }
  return deepFreeze(candidate as RolecallConfig);
}

export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const config = (typeof raw === 'object' && raw !== null ? structuredClone(raw) : {}) as Record<
    string,
    unknown
  >;
  for (const [name, path] of Object.entries(WELL_KNOWN_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(config, path, coerce(value));
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('ROLECALL__') || value === undefined) continue;
    setPath(config, name.slice('ROLECALL__'.length).split('__').map(camelCase), coerce(value));
  }
  return config;
}

function coerce(value: string): unknown {
  try {
    return parse(value) as unknown;
  } catch {
    return value;
  }
}

const camelCase = (segment: string) =>
  segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
