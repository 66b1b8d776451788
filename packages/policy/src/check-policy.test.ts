import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPolicy, FINDING_CODES, type PolicyKind } from './check-policy.js';

interface CorpusCase {
  name: string;
  kind: PolicyKind;
  resourceArns?: string[];
  /** The codes checkPolicy must find, in any order, each as often as listed. */
  expected: string[];
  policy: unknown;
}

const corpusDir = fileURLToPath(new URL('../test-corpus/', import.meta.url));
const corpus: CorpusCase[] = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(`${corpusDir}${f}`, 'utf8')) as CorpusCase);

describe('checkPolicy on the corpus', () => {
  it('has at least 40 documents, 10 of them good', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(corpus.filter((c) => c.expected.length === 0).length).toBeGreaterThanOrEqual(10);
  });

  it('exercises every finding code', () => {
    const seen = new Set(corpus.flatMap((c) => c.expected));
    expect([...seen].sort()).toEqual(Object.values(FINDING_CODES).sort());
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const findings = await checkPolicy(c.policy, c.kind, { resourceArns: c.resourceArns ?? [] });
    expect(findings.map((f) => f.code).sort()).toEqual([...c.expected].sort());
    for (const f of findings) {
      expect(f.path).toMatch(/^\$/);
      expect(f.message.length).toBeGreaterThan(10);
    }
  });
});

describe('checkPolicy findings', () => {
  it('points at the action with its statement index and JSON path', async () => {
    const [finding] = await checkPolicy(
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjekt'], Resource: 'arn:aws:s3:::b/*' },
        ],
      },
      'identity',
    );
    expect(finding).toMatchObject({
      code: 'UNKNOWN_ACTION',
      severity: 'error',
      statementIndex: 1,
      path: '$.Statement[1].Action[1]',
    });
  });

  it('parses a JSON string and reports one that does not parse at the root', async () => {
    expect(
      await checkPolicy(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        'identity',
      ),
    ).toEqual([]);
    expect(await checkPolicy('not json', 'identity')).toMatchObject([
      { code: 'INVALID_JSON', statementIndex: null, path: '$' },
    ]);
  });

  it('rates Action "*" on everything an error and on named resources a warning', async () => {
    const on = async (Resource: string) =>
      (
        await checkPolicy(
          { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource }] },
          'identity',
        )
      )[0]?.severity;
    expect(await on('*')).toBe('error');
    expect(await on('arn:aws:s3:::b/*')).toBe('warning');
  });

  it('paths condition keys with brackets', async () => {
    const [finding] = await checkPolicy(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::b/*',
            Condition: { StringEquals: { 'ec2:InstanceType': 't3.micro' } },
          },
        ],
      },
      'identity',
    );
    expect(finding?.path).toBe("$.Statement[0].Condition.StringEquals['ec2:InstanceType']");
  });
});
