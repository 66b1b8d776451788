// The floor of bench/reads: a bare Fastify in a process of its own (as the gateway is), answering each
// route with the exact bytes the gateway answered it with, and doing nothing else. Started by the bench
// with an IPC channel: it is sent [{method, url, user, contentType, body}] (user: the
// x-forwarded-email the answer was for), replies {httpPort} once it
// listens, and exits when the bench disconnects.
import Fastify from 'fastify';

process.once('message', async (routes) => {
  const app = Fastify();
  const byUrl = new Map(routes.map((r) => [`${r.method} ${r.url} ${r.user}`, r]));
  const answer = (request, reply) => {
    const route = byUrl.get(`${request.method} ${request.url} ${request.headers['x-forwarded-email']}`);
    if (!route) return reply.code(404).send({ code: 'NOT_FOUND' });
    return reply.type(route.contentType).send(route.body);
  };
  app.get('/*', answer);
  app.post('/*', answer);
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ httpPort: app.server.address().port });
});
process.on('disconnect', () => process.exit(0));
