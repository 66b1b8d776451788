import { createServer, request as httpRequest, type Server } from 'node:http';

/** One AWS call that reached moto through the proxy: its API action and whether it changes anything. */
export interface ProxiedCall {
  action: string;
  mutating: boolean;
}

const READ_PREFIXES = ['Get', 'List', 'Describe', 'Head'];
/** Calls that change no AWS resource: assuming roles, and every DynamoDB call (Rolecall's own tables). */
const NOT_WRITES = new Set(['AssumeRole', 'GetCallerIdentity']);

/**
 * The action of a query-protocol call (IAM, SNS, STS), a JSON-protocol call (SQS, DynamoDB: the operation
 * of `X-Amz-Target`, `AmazonSQS.SetQueueAttributes` → `SetQueueAttributes`), or an S3 REST call.
 */
function actionOf(method: string, url: string, headers: Record<string, unknown>, body: string) {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    return {
      action: target.split('.').pop() ?? target,
      rest: false,
      dynamodb: target.startsWith('DynamoDB_'),
    };
  }
  const form = new URLSearchParams(body).get('Action');
  if (form) return { action: form, rest: false, dynamodb: false };
  const query = new URL(url, 'http://proxy').searchParams;
  const sub = ['policy', 'tagging', 'versioning'].find((k) => query.has(k)) ?? 'object';
  return { action: `${method} ${sub}`, rest: true, dynamodb: false };
}

export interface CountingProxy {
  url: string;
  calls: ProxiedCall[];
  /** IAM, S3, SQS and SNS write calls (DynamoDB's are Rolecall's own records, not counted). */
  writes(): string[];
  /** Holds each write call this long before passing it on (to kill a process mid-apply); 0: none. */
  delayWrites(ms: number): void;
  /** Calls received and not yet answered by moto. */
  inFlight(): number;
  close(): Promise<void>;
}

/**
 * A proxy in front of moto that records every call: how a test counts the writes that reach AWS, without
 * replacing any of Rolecall's code.
 */
export async function startCountingProxy(
  targetUrl: string,
  options: {
    /** Sees every call with its request body before it is passed on (what a benchmark counts of it). */
    inspect?: (call: ProxiedCall, body: Buffer) => void;
  } = {},
): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const calls: ProxiedCall[] = [];
  let delayMs = 0;
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { action, rest, dynamodb } = actionOf(
        req.method ?? 'GET',
        req.url ?? '/',
        req.headers,
        body.toString(),
      );
      const mutating = rest
        ? !['GET', 'HEAD'].includes(req.method ?? 'GET')
        : !dynamodb && !NOT_WRITES.has(action) && !READ_PREFIXES.some((p) => action.startsWith(p));
      calls.push({ action, mutating });
      options.inspect?.({ action, mutating }, body);
      inFlight += 1;
      // Done when moto has answered (it has done the call), whether or not the caller is still there.
      let done = false;
      const finish = () => {
        if (!done) inFlight -= 1;
        done = true;
      };
      const forward = () => {
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          (answer) => {
            finish();
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          finish();
          res.writeHead(502);
          res.end(String(error));
        });
        upstream.end(body);
      };
      if (mutating && delayMs > 0) setTimeout(forward, delayMs);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    writes: () => calls.filter((c) => c.mutating).map((c) => c.action),
    delayWrites(ms) {
      delayMs = ms;
    },
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
