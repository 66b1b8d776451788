import { describe, expect, it } from 'vitest';
import { parseDynamicConfig } from './parse.js';

const templates = (...items: string[]) => `permission_templates:\n${items.join('')}`;
const item = (key: string, value: string) => `  - key: ${key}\n    text: A template\n    value: '${value}'\n`;
const GOOD = '{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}';

function problemsOf(text: string): { path: string; message: string }[] {
  try {
    parseDynamicConfig(text);
  } catch (error) {
    return (error as { context: { problems: { path: string; message: string }[] } }).context.problems;
  }
  return [];
}

describe('permission_templates in the dynamic config', () => {
  it('accepts templates whose value is a policy document', () => {
    const config = parseDynamicConfig(templates(item('s3read', GOOD), item('team-x', GOOD)));
    expect(config.permission_templates?.map((t) => t.key)).toEqual(['s3read', 'team-x']);
  });

  it.each([
    ['a value that is not JSON', item('a', '{"Statement": ['), /not valid JSON/],
    ['a document without statements', item('a', '{"Version":"2012-10-17"}'), /Statement/],
    [
      'a statement without Resource',
      item('a', '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}'),
      /Resource/,
    ],
    [
      'a statement without Effect',
      item('a', '{"Statement":{"Action":"s3:GetObject","Resource":"*"}}'),
      /Effect/,
    ],
  ])('refuses %s on save, with the template path', (_name, text, message) => {
    const problems = problemsOf(templates(text));
    expect(problems.map((p) => p.path)).toEqual(['/permission_templates/0/value']);
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses two templates with one key, and a key or field the schema does not allow', () => {
    const duplicate = problemsOf(templates(item('a', GOOD), item('a', GOOD)));
    expect(duplicate.map((p) => p.path)).toEqual(['/permission_templates/1/key']);
    expect(duplicate[0]?.message).toContain('earlier template');
    expect(problemsOf(templates(item('has space', GOOD))).map((p) => p.path)).toContain(
      '/permission_templates/0/key',
    );
  });
});
