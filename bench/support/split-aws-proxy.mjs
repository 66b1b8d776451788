// The routing proxy of bench/support/split-aws.ts, in a process of its own so that it never competes with
// the bench's callers for one event loop. Args: the STS/IAM moto URL, the DynamoDB moto URL. Sends
// {port} over IPC once it listens, and exits when the bench disconnects.
import { Agent, createServer, request } from 'node:http';

const [restUrl, dynamoUrl] = process.argv.slice(2).map((u) => new URL(u));
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const server = createServer((req, res) => {
  const target = String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB_') ? dynamoUrl : restUrl;
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => res.writeHead(502).end(error.message));
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
