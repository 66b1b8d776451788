import { describe, expect, it } from 'vitest';
import { camelCaseKeys, decodePolicyDocument, tagsFromList } from './aws-mapping.js';
import { bucketRegion } from './s3-crawler.js';
import { mapQueue } from './sqs-crawler.js';
import { mapTopic } from './sns-crawler.js';

const doc = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::a b/*' }],
};

describe('decodePolicyDocument', () => {
  it('decodes the URL-encoded documents IAM returns', () => {
    expect(decodePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
  });
  it('parses plain JSON documents as SQS, SNS and S3 return them', () => {
    expect(decodePolicyDocument(JSON.stringify(doc))).toEqual(doc);
  });
  it('keeps text that is not a document instead of failing, and maps absence to null', () => {
    expect(decodePolicyDocument('%E0%A4%A')).toBe('%E0%A4%A');
    expect(decodePolicyDocument('not json')).toBe('not json');
    expect(decodePolicyDocument(undefined)).toBeNull();
    expect(decodePolicyDocument('')).toBeNull();
  });
});

describe('AWS shapes to ours', () => {
  it('turns tag lists into records and attribute names into camelCase', () => {
    expect(tagsFromList([{ Key: 'team', Value: 'a' }, { Key: 'empty' }])).toEqual({ team: 'a', empty: '' });
    expect(camelCaseKeys({ VisibilityTimeout: '30', QueueArn: 'x' })).toEqual({
      visibilityTimeout: '30',
      queueArn: 'x',
    });
  });
  it('maps empty and legacy bucket locations to regions', () => {
    expect(bucketRegion(undefined)).toBe('us-east-1');
    expect(bucketRegion('')).toBe('us-east-1');
    expect(bucketRegion('EU')).toBe('eu-west-1');
    expect(bucketRegion('ap-south-1')).toBe('ap-south-1');
  });
  it('lifts the queue policy out of its attributes and parses it', () => {
    const item = mapQueue({
      url: 'https://sqs.eu-west-1.amazonaws.com/111111111111/jobs',
      attributes: {
        QueueArn: 'arn:aws:sqs:eu-west-1:111111111111:jobs',
        Policy: JSON.stringify(doc),
        DelaySeconds: '0',
      },
      tags: { team: 'a' },
      accountId: '111111111111',
      region: 'eu-west-1',
    });
    expect(item).toEqual({
      arn: 'arn:aws:sqs:eu-west-1:111111111111:jobs',
      itemType: 'sqs_queue',
      accountId: '111111111111',
      region: 'eu-west-1',
      name: 'jobs',
      tags: { team: 'a' },
      details: {
        url: 'https://sqs.eu-west-1.amazonaws.com/111111111111/jobs',
        policy: doc,
        attributes: { queueArn: 'arn:aws:sqs:eu-west-1:111111111111:jobs', delaySeconds: '0' },
      },
    });
  });
  it('names a topic by its ARN and gives a topic without a policy a null one', () => {
    const item = mapTopic({
      arn: 'arn:aws:sns:us-east-1:111111111111:alerts',
      attributes: { DisplayName: 'Alerts' },
      tags: {},
      accountId: '111111111111',
      region: 'us-east-1',
    });
    expect(item.name).toBe('alerts');
    expect(item.details).toEqual({ policy: null, attributes: { displayName: 'Alerts' } });
  });
});
