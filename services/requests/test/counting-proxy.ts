import { createServer, request as httpRequest, type Server } from 'node:http';

/** One AWS call that reached moto through the proxy: its API action and whether it changes anything. */
export interface ProxiedCall {
  action: string;
  mutating: boolean;
}

const READ_PREFIXES = ['Get', 'List', 'Describe', 'Head'];
/** Calls that change no resource: assuming the spoke role and reading who one is. */
const NOT_WRITES = new Set(['AssumeRole', 'GetCallerIdentity']);

/** The action of a query-protocol call (IAM, SNS, STS), a JSON-protocol call (SQS), or an S3 REST call. */
function actionOf(method: string, url: string, headers: Record<string, unknown>, body: string) {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return { action: target.split('.').pop() ?? target, rest: false };
  const form = new URLSearchParams(body).get('Action');
  if (form) return { action: form, rest: false };
  const query = new URL(url, 'http://proxy').searchParams;
  const sub = ['policy', 'tagging', 'versioning'].find((k) => query.has(k)) ?? 'object';
  return { action: `${method} ${sub}`, rest: true };
}

/**
 * A proxy in front of moto that records every call: how a test proves that an idempotent write made no
 * write call to AWS, without replacing any of our code.
 */
export async function startCountingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const calls: ProxiedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const { action, rest } = actionOf(req.method ?? 'GET', req.url ?? '/', req.headers, body.toString());
      const mutating = rest
        ? !['GET', 'HEAD'].includes(req.method ?? 'GET')
        : !NOT_WRITES.has(action) && !READ_PREFIXES.some((p) => action.startsWith(p));
      calls.push({ action, mutating });
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    /** A mark to count from. */
    mark: () => calls.length,
    /** The write calls made since `mark`, by action. */
    writesSince: (mark: number) =>
      calls
        .slice(mark)
        .filter((c) => c.mutating)
        .map((c) => c.action),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
