// The floor of bench/credentials: a bare Fastify route and a bare NATS responder, in a process of
// their own (as the gateway and the broker are), doing nothing but echoing. Started by the bench with
// an IPC channel; sends {httpPort} once both listen, and exits when the bench disconnects.
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';

const natsUrl = process.argv[2];
const app = Fastify();
app.post('/echo', async (request) => ({ echoed: request.body }));
await app.listen({ host: '127.0.0.1', port: 0 });

const nc = await connect({ servers: natsUrl, name: 'bench-bare-responder' });
nc.subscribe('bench.bare.echo', { queue: 'bench', callback: (_error, msg) => msg.respond(msg.data) });
await nc.flush();

process.send?.({ httpPort: app.server.address().port });
process.on('disconnect', () => {
  void Promise.allSettled([app.close(), nc.close()]).then(() => process.exit(0));
});
