import { AppError } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import { viewChallenge } from '../../domain/challenge.js';
import { escapeHtml, htmlPage } from '../../domain/html.js';
import { CSRF_COOKIE, CSRF_HEADER } from '../../plugins/csrf.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { wantsHtml, type WebUi } from '../web/web-ui.js';
import { peerAddress, refusalError } from './challenge-routes.js';

/** The page's script, a file of its own: the Content Security Policy runs no inline script. */
export const APPROVE_SCRIPT_PATH = '/static/challenge-approve.js';

/**
 * Posts the approval with fetch, repeating the CSRF token from its cookie in the header when the browser
 * is signed in by the session cookie (see plugins/csrf.ts); behind a trusted proxy there is none to send.
 */
const APPROVE_SCRIPT = `'use strict';
document.getElementById('approve').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById('result');
  form.querySelector('button').disabled = true;
  const csrf = document.cookie.split('; ').find((c) => c.startsWith('${CSRF_COOKIE}='));
  const headers = { 'content-type': 'application/json' };
  if (csrf) headers['${CSRF_HEADER}'] = decodeURIComponent(csrf.slice(${CSRF_COOKIE.length + 1}));
  const response = await fetch(form.dataset.api, {
    method: 'POST',
    headers,
    body: JSON.stringify({ nonce: form.nonce.value }),
  });
  const answer = await response.json().catch(() => ({}));
  result.textContent = answer.message || ('Approval failed (' + response.status + ')');
  result.className = response.ok ? '' : 'error';
});
`;

/**
 * `/challenge_validator/{token}`: the page Weep opens in the browser. A browser navigating here gets the
 * web UI, whose challenge page reads and approves through `/api/v2/challenge_validator/{token}`; any
 * other client (or a gateway without a built UI) gets this plain server-rendered page: who is asking,
 * from where, when, and an Approve button. The button posts
 * the nonce as JSON with fetch, so a cross-site form cannot approve on the user's behalf (a JSON
 * content type needs a CORS preflight this server never grants).
 */
export function registerChallengePage(app: GatewayApp, deps: RouteDeps, webUi?: WebUi): void {
  const rules = { requireSameIp: deps.config.auth.challenge.requireSameIp };
  app.get(
    APPROVE_SCRIPT_PATH,
    { config: { access: 'public' }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(APPROVE_SCRIPT),
  );
  app.get(
    '/challenge_validator/:token',
    {
      // A signed-out browser gets the app, which signs in and comes back; the handler refuses the rest.
      config: { access: 'public' },
      schema: {
        hide: true,
        params: Type.Object({ token: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,128}$' }) }),
      },
    },
    async (request, reply) => {
      if (webUi?.available && wantsHtml(request)) return webUi.sendIndex(reply);
      if (!request.identity) {
        throw new AppError(
          'UNAUTHENTICATED',
          'sign-in required: no identity was presented by a trusted proxy for this request',
        );
      }
      void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      const viewer = request.identity;
      const viewed = viewer
        ? await viewChallenge(
            { store: deps.challenges, now: deps.now },
            rules,
            request.params.token,
            viewer,
            peerAddress(request),
          )
        : ({ refused: 'unknown' } as const);
      if (!('challenge' in viewed)) {
        const error = refusalError(viewed);
        return reply
          .status(error.status)
          .send(htmlPage('Weep sign-in', `<p class="error">${escapeHtml(error.message)}</p>`));
      }
      const { challenge } = viewed;
      const apiPath = `/api/v2/challenge_validator/${encodeURIComponent(challenge.token)}`;
      const body = `
<p>A Weep command line is asking to sign in to Rolecall as you. Approve only if you started it yourself.</p>
<dl>
<dt>User</dt><dd>${escapeHtml(challenge.user)}</dd>
<dt>From address</dt><dd>${escapeHtml(challenge.ip)}</dd>
<dt>Requested at</dt><dd>${escapeHtml(new Date(challenge.createdAt).toISOString())}</dd>
<dt>Signed in here as</dt><dd>${escapeHtml(viewer?.user ?? '')}</dd>
</dl>
<form id="approve" data-api="${escapeHtml(apiPath)}">
<input type="hidden" name="nonce" value="${escapeHtml(challenge.nonce)}">
<button type="submit">Approve</button>
</form>
<p id="result" role="status"></p>
<script src="${APPROVE_SCRIPT_PATH}"></script>`;
      return htmlPage('Approve Weep sign-in', body);
    },
  );
}
