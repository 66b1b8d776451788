import { isRecord, statementsOf } from '../iam/index.js';
import type { DynamicConfigProblem } from './parse.js';
import type { DynamicConfigDocument } from './schema.js';

/**
 * What the schema cannot say about `permission_templates`: each `value` must be JSON text of a policy
 * document whose every statement has an Effect, an Action or NotAction and a Resource or NotResource,
 * and no two templates may share a key (the UI picks a template by it). Checked on save, so a
 * template the wizard offers always parses.
 */
export function permissionTemplateProblems(document: DynamicConfigDocument): DynamicConfigProblem[] {
  const problems: DynamicConfigProblem[] = [];
  const seen = new Set<string>();
  (document.permission_templates ?? []).forEach((template, index) => {
    const at = `/permission_templates/${index}`;
    if (seen.has(template.key)) {
      problems.push({
        path: `${at}/key`,
        message: `the key "${template.key}" is used by an earlier template`,
      });
    }
    seen.add(template.key);
    let value: unknown;
    try {
      value = JSON.parse(template.value) as unknown;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      problems.push({ path: `${at}/value`, message: `not valid JSON: ${detail}` });
      return;
    }
    const raw = isRecord(value) ? value.Statement : undefined;
    const statements = statementsOf(value);
    const count = Array.isArray(raw) ? raw.length : raw === undefined ? 0 : 1;
    if (statements.length === 0 || statements.length !== count) {
      problems.push({
        path: `${at}/value`,
        message: 'must be a policy document with a Statement object or a non-empty list of them',
      });
      return;
    }
    statements.forEach((statement, n) => {
      const missing = [
        statement.Effect === 'Allow' || statement.Effect === 'Deny'
          ? undefined
          : 'an Effect of Allow or Deny',
        'Action' in statement || 'NotAction' in statement ? undefined : 'Action or NotAction',
        'Resource' in statement || 'NotResource' in statement ? undefined : 'Resource or NotResource',
      ].filter((m): m is string => m !== undefined);
      if (missing.length > 0) {
        problems.push({ path: `${at}/value`, message: `statement ${n} needs ${missing.join(', ')}` });
      }
    });
  });
  return problems;
}
