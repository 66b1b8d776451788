import { createHash } from 'node:crypto';
import { Value } from 'typebox/value';
import { parseDocument } from 'yaml';
import { schemaProblems } from '../contracts/schema-problems.js';
import { AppError } from '../errors/index.js';
import { permissionTemplateProblems } from './permission-templates.js';
import { DynamicConfigDocument } from './schema.js';

/** sha256 (hex) of the exact YAML text: the optimistic-lock token, as in ConsoleMe. */
export const sha256Of = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface DynamicConfigProblem {
  path: string;
  message: string;
}

/**
 * Parses and validates a dynamic-config YAML text. Every problem (YAML syntax with its line, schema
 * violations with their path) is reported in one VALIDATION_FAILED error; an empty text is `{}`.
 */
export function parseDynamicConfig(text: string): DynamicConfigDocument {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const problems: DynamicConfigProblem[] = document.errors.map((e) => ({
      path: e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '/',
      message: e.message.split('\n')[0] ?? e.message,
    }));
    throw invalid('dynamic config is not valid YAML', problems);
  }
  const value: unknown = document.toJS() ?? {};
  const problems: DynamicConfigProblem[] = schemaProblems(Value.Errors(DynamicConfigDocument, value)).map(
    ({ path, message }) => ({ path: path || '/', message }),
  );
  if (problems.length === 0) problems.push(...permissionTemplateProblems(value as DynamicConfigDocument));
  if (problems.length > 0) throw invalid('dynamic config does not match its schema', problems);
  return value as DynamicConfigDocument;
}

function invalid(summary: string, problems: DynamicConfigProblem[]): AppError {
  const list = problems
    .slice(0, 20)
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ');
  return new AppError('VALIDATION_FAILED', `${summary}: ${list}`, { context: { problems } });
}
