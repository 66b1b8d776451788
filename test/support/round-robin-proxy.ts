import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

/** What one upstream of the proxy answered, counted: how a test shows that the copies shared the work. */
export interface RoundRobinProxy {
  url: string;
  /** Answers (any status) each upstream gave, by its URL. */
  answered: Map<string, number>;
  /** Requests an upstream accepted and then lost (it died mid-request): answered 502 `UPSTREAM_LOST`. */
  lost: number;
  close(): Promise<void>;
}

/** Codes meaning the request never reached the upstream, so another one may take it. */
const NOT_DELIVERED = new Set(['ECONNREFUSED']);

/**
 * One address in front of several copies of an HTTP service, as a load balancer is: each request goes to
 * the next upstream in turn. A refused connection (that copy is down) goes on to the next one, which is
 * safe because nothing was sent; a copy that dies with the request in hand is answered 502, and only the
 * caller may decide to ask again (nginx's `proxy_next_upstream error` without non-idempotent retries).
 * A new connection per request, so a dead copy's kept-alive sockets never swallow a request.
 */
export async function startRoundRobinProxy(upstreams: readonly string[]): Promise<RoundRobinProxy> {
  let next = 0;
  const answered = new Map<string, number>(upstreams.map((u) => [u, 0]));
  const proxy: Omit<RoundRobinProxy, 'url' | 'close'> = { answered, lost: 0 };

  const forward = (req: IncomingMessage, body: Buffer, upstream: string) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const target = new URL(req.url ?? '/', upstream);
      const out = httpRequest(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const refused: string[] = [];
        // Each request walks the ring from its own turn, so concurrent ones never retry the same dead copy.
        const first = next++;
        for (let tried = 0; tried < upstreams.length; tried += 1) {
          const upstream = upstreams[(first + tried) % upstreams.length]!;
          try {
            const answer = await forward(req, body, upstream);
            answered.set(upstream, (answered.get(upstream) ?? 0) + 1);
            res.writeHead(answer.status, answer.headers).end(answer.body);
            return;
          } catch (error) {
            if (NOT_DELIVERED.has((error as NodeJS.ErrnoException).code ?? '')) {
              refused.push(`${upstream}: ${(error as Error).message}`);
              continue;
            }
            proxy.lost += 1;
            res
              .writeHead(502, { 'content-type': 'application/json' })
              .end(JSON.stringify({ code: 'UPSTREAM_LOST', message: (error as Error).message }));
            return;
          }
        }
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ code: 'NO_UPSTREAM', message: `every upstream refused: ${refused.join('; ')}` }),
          );
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
