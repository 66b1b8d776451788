import { answerAccessDenied } from '@rolecall/policy';
import { AccessDeniedAnswer, AccessDeniedQuery } from '@rolecall/shared/contracts';
import type { GatewayApp } from '../deps.js';
import { commonErrors } from '../schemas.js';

/**
 * `POST /api/v3/access-denied`: the text of an AWS AccessDenied error in, what it says and a prefilled
 * request out. The gateway answers alone: it only reads text, and the request it prefills is created (and
 * checked against the cache) by `POST /api/v2/request`. Text it cannot read is a 200 with
 * `recognized: false` and an explanation, not an error: the text was well-formed input, only not an AWS
 * message.
 */
export function registerAccessDeniedRoute(app: GatewayApp): void {
  app.post(
    '/api/v3/access-denied',
    {
      schema: {
        tags: ['access'],
        summary:
          'Turn an AWS AccessDenied message into a prefilled request, or say why a grant would not help',
        body: AccessDeniedQuery,
        response: { 200: AccessDeniedAnswer, ...commonErrors },
      },
    },
    (request) => answerAccessDenied(request.body.message),
  );
}
