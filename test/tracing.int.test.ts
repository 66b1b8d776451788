import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { DEMO_USERS, type DemoAccount } from '@rolecall/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlIam, seedProdAccount } from './support/crawls.js';
import { eventually, startStack, type Stack } from './support/stack.js';

const alice = DEMO_USERS.find((u) => u.email === 'alice@example.com')!;

/** One span as OTLP/HTTP JSON carries it (ids in hex), with the service that sent it. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]));

/** A stand-in OpenTelemetry collector: takes OTLP/HTTP JSON at POST /v1/traces and keeps every span. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        !req.headers['content-type']?.includes('json')
      ) {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const exported = JSON.parse(body.toString()) as OtlpExport;
      for (const resourceSpans of exported.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({ ...span, service, attributes: attributesOf(span.attributes) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** OTLP span kinds (SPAN_KIND_*): the API's SpanKind plus one. */
const KIND = { server: 2, client: 3, consumer: 5 };

describe('OpenTelemetry traces across HTTP → NATS → service → AWS', () => {
  let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stack: Stack;
  let prod: DemoAccount;

  beforeAll(async () => {
    collector = await startOtlpReceiver();
    stack = await startStack({
      config: {
        tracing: { otlpEndpoint: collector.url, exportDelayMs: 100 },
        auth: { cliAcceptsTrustedHeaders: true },
      },
    });
    prod = await seedProdAccount(stack);
    await crawlIam(stack, [prod.id]);
  });
  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  it('puts the gateway’s and the broker’s spans of one credential request in one trace, the broker’s under the gateway’s NATS request', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/v1/get_credentials`, {
      method: 'POST',
      headers: {
        'x-forwarded-email': alice.email,
        'x-forwarded-groups': alice.groups.join(','),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ requested_role: `arn:aws:iam::${prod.id}:role/readonly` }),
    });
    expect(response.status).toBe(200);

    const subject = 'broker.credentials.issue';
    const found = await eventually(
      () => {
        const http = collector.spans.find(
          (s) => s.service === 'rolecall-gateway' && s.attributes['http.route'] === '/api/v1/get_credentials',
        );
        if (!http) return undefined;
        const inTrace = collector.spans.filter((s) => s.traceId === http.traceId);
        const natsRequest = inTrace.find((s) => s.name === `nats request ${subject}`);
        const handler = inTrace.find((s) => s.name === `nats handle ${subject}`);
        const assumeRole = inTrace.find((s) => s.name === 'sts.AssumeRole');
        return natsRequest && handler && assumeRole
          ? { http, natsRequest, handler, assumeRole, inTrace }
          : undefined;
      },
      () =>
        `the credential request's spans; the collector has ${collector.spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
      30_000,
    );
    const { http, natsRequest, handler, assumeRole } = found;

    expect(http).toMatchObject({ kind: KIND.server, name: 'POST /api/v1/get_credentials' });
    expect(http.attributes['http.response.status_code']).toBe(200);
    expect(http.parentSpanId ?? '').toBe('');
    expect(natsRequest).toMatchObject({
      service: 'rolecall-gateway',
      kind: KIND.client,
      parentSpanId: http.spanId,
    });
    // The hop: the broker's span continues the gateway's trace, as the child of its NATS request.
    expect(handler).toMatchObject({
      service: 'rolecall-broker',
      kind: KIND.server,
      traceId: http.traceId,
      parentSpanId: natsRequest.spanId,
    });
    expect(handler.traceId).toBe(natsRequest.traceId);
    // And the AWS call the broker made for it, under the handler's span.
    const ancestors = (span: ReceivedSpan): string[] => {
      const parent = found.inTrace.find((s) => s.spanId === span.parentSpanId);
      return parent ? [parent.spanId, ...ancestors(parent)] : [];
    };
    expect(assumeRole).toMatchObject({ service: 'rolecall-broker', kind: KIND.client });
    expect(assumeRole.attributes).toMatchObject({ 'rpc.service': 'sts', 'rpc.method': 'AssumeRole' });
    expect(ancestors(assumeRole)).toContain(handler.spanId);
  });

  it('continues the trace of an audit record into the consumer that persists it', async () => {
    const http = collector.spans.find(
      (s) => s.service === 'rolecall-gateway' && s.attributes['http.route'] === '/api/v1/get_credentials',
    )!;
    const consumer = await eventually(
      () =>
        collector.spans.find(
          (s) => s.traceId === http.traceId && s.kind === KIND.consumer && s.name.includes('AUDIT'),
        ),
      () =>
        `a consumer span in trace ${http.traceId}; it has ${collector.spans
          .filter((s) => s.traceId === http.traceId)
          .map((s) => `${s.service}:${s.name}`)
          .join(', ')}`,
      30_000,
    );
    expect(consumer.service).toBe('rolecall-broker');
  });
});
