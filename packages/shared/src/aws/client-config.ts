import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { TracedHttpHandler } from '../tracing/aws-http-handler.js';
import { tracingEnabled } from '../tracing/start.js';

export interface AwsClientOptions {
  region: string;
  /** Every client goes here when set (moto, LocalStack, a VPC endpoint). */
  endpointUrl?: string | undefined;
  /** Per-service overrides, keyed by SDK service id lower-cased (`sts`, `s3`, `dynamodb`…). */
  serviceEndpoints?: Record<string, string>;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxAttempts?: number;
}

/**
 * The config object every SDK client is built from. Retries (standard mode, exponential backoff with
 * jitter) cover throttling and transient errors; S3 uses path-style addressing whenever an endpoint is
 * set, because a local endpoint has no per-bucket DNS names. While tracing is on (see `startTracing`),
 * the client sends through an HTTP handler that makes a span of each AWS call.
 */
export function awsClientConfig(service: string, options: AwsClientOptions) {
  const endpoint = options.serviceEndpoints?.[service] ?? options.endpointUrl;
  return {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: 'standard' as const,
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(service === 's3' && endpoint ? { forcePathStyle: true } : {}),
    ...(tracingEnabled() ? { requestHandler: new TracedHttpHandler(service) } : {}),
  };
}
