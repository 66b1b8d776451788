import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS Query-protocol call (STS speaks form-encoded `Action=…&Param=…`) that went through the proxy. */
export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  status: number;
  /** The response body as moto sent it (XML for STS). */
  response: string;
}

export interface RecordingProxy {
  url: string;
  calls: RecordedCall[];
  stop(): Promise<void>;
}

const readBody = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * A pass-through HTTP proxy in front of moto that keeps a copy of every form-encoded call and its answer.
 * moto accepts SourceIdentity on AssumeRole but does not keep it (nor does it have CloudTrail for STS),
 * so the only faithful way to see what the broker really asked STS is to read the request on the wire.
 * Nothing is changed or answered by the proxy itself: moto still does all the work.
 */
export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const calls: RecordedCall[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          void readBody(answer).then((payload) => {
            const type = String(req.headers['content-type'] ?? '');
            if (type.startsWith('application/x-www-form-urlencoded')) {
              const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
              calls.push({
                action: params.Action ?? '',
                params,
                status: answer.statusCode ?? 0,
                response: payload.toString('utf8'),
              });
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(payload);
          });
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording proxy: ${error.message}`);
      });
      upstream.end(body);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** The AccessKeyId an STS answer handed out, to tie a recorded AssumeRole call to the credentials issued. */
export const issuedAccessKeyId = (call: RecordedCall): string | undefined =>
  /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(call.response)?.[1];
