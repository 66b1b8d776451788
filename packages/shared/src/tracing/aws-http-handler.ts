import { SpanKind } from '@opentelemetry/api';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/protocol-http';
import type { HttpHandlerOptions } from '@smithy/types';
import { inSpan } from './spans.js';

/**
 * The AWS operation a request calls, read from the wire: JSON protocols name it in `X-Amz-Target`
 * (`DynamoDB_20120810.GetItem`), query protocols in the body's `Action=` (STS, IAM, SNS). REST
 * protocols (S3) have only their method; their paths (bucket and key) would make span names unbounded.
 */
export function awsOperationOf(request: Pick<HttpRequest, 'headers' | 'body' | 'method'>): string {
  const target = Object.entries(request.headers).find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1];
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  if (typeof request.body === 'string') {
    const action = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(request.body)?.[1];
    if (action) return action;
  }
  return request.method;
}

/**
 * The SDK's own Node HTTP handler with a client span around each call it sends (each attempt of a
 * retried call is a span of its own, which is what a trace should show). Given to every SDK client by
 * `awsClientConfig` while tracing is on.
 */
export class TracedHttpHandler extends NodeHttpHandler {
  constructor(private readonly service: string) {
    super();
  }

  override handle(request: HttpRequest, options?: HttpHandlerOptions) {
    const operation = awsOperationOf(request);
    return inSpan(
      `${this.service}.${operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'aws-api',
          'rpc.service': this.service,
          'rpc.method': operation,
          'server.address': request.hostname,
        },
      },
      async (span) => {
        const result = await super.handle(request, options);
        span.setAttribute('http.response.status_code', result.response.statusCode);
        return result;
      },
    );
  }
}
