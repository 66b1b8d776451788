import { describe, expect, it } from 'vitest';
import { isSelectUnsupported, mapConfigItem, selectExpression } from './config-crawler.js';

describe('AWS Config mapping', () => {
  it('parses a BatchGet item whose configuration is a JSON string', () => {
    const item = mapConfigItem(
      {
        arn: 'arn:aws:sns:us-east-1:111111111111:t',
        resourceType: 'AWS::SNS::Topic',
        resourceId: 'arn:aws:sns:us-east-1:111111111111:t',
        resourceName: 't',
        awsRegion: 'us-east-1',
        configurationItemCaptureTime: new Date('2024-01-01T00:00:00Z'),
        configuration: JSON.stringify({ topicArn: 'x', tags: [{ key: 'team', value: 'a' }] }),
      },
      '111111111111',
      'us-east-1',
    )!;
    expect(item.itemType).toBe('config_resource');
    expect(item.name).toBe('t');
    expect(item.tags).toEqual({ team: 'a' });
    expect(item.details).toMatchObject({
      resourceType: 'AWS::SNS::Topic',
      configuration: { topicArn: 'x' },
      configurationItemCaptureTime: '2024-01-01T00:00:00.000Z',
    });
  });

  it('gives a resource without an ARN a stable key and takes Select tags', () => {
    const item = mapConfigItem(
      {
        resourceType: 'AWS::EC2::SecurityGroup',
        resourceId: 'sg-1',
        configuration: {},
        tags: [{ key: 'k', value: 'v' }],
      },
      '111111111111',
      'eu-west-1',
    )!;
    expect(item.arn).toBe('arn:aws:config:eu-west-1:111111111111:resource/AWS::EC2::SecurityGroup/sg-1');
    expect(item.name).toBe('sg-1');
    expect(item.region).toBe('eu-west-1');
    expect(item.tags).toEqual({ k: 'v' });
  });

  it('recognises endpoints that do not implement SelectResourceConfig', () => {
    expect(isSelectUnsupported(Object.assign(new Error('x'), { name: 'NotImplemented' }))).toBe(true);
    expect(isSelectUnsupported(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 501 } }))).toBe(
      true,
    );
    expect(isSelectUnsupported(new Error('The select_resource_config action has not been implemented'))).toBe(
      true,
    );
    expect(isSelectUnsupported(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))).toBe(
      false,
    );
  });

  it('quotes resource types in the select expression', () => {
    expect(selectExpression(['AWS::S3::Bucket', "AWS::X'Y"])).toBe(
      "SELECT * WHERE resourceType IN ('AWS::S3::Bucket', 'AWS::X''Y')",
    );
  });
});
