import {
  ApprovalExplanation,
  PolicyRequestHistoryItem,
  PolicyRequestModificationModel,
  PolicyRequestModificationResponse,
  RequestConfig,
  RequestCreationModel,
  RequestCreationResponse,
  RequestListFilters,
  RequestListItem,
  type RequestRefusal,
} from '@rolecall/shared/contracts';
import { AppError, type ErrorCode } from '@rolecall/shared/errors';
import { Type } from 'typebox';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { ErrorBody, commonErrors } from '../schemas.js';
import { callerOf } from '../credentials/request-context.js';

/** How each kind of refusal the requests service gives is answered; `reason` keeps its own stable code. */
const REFUSAL_CODES: Record<RequestRefusal['kind'], ErrorCode> = {
  forbidden: 'FORBIDDEN',
  invalid: 'VALIDATION_FAILED',
  conflict: 'CONFLICT',
  not_found: 'NOT_FOUND',
};

export function refused(refusal: Pick<RequestRefusal, 'kind' | 'code' | 'message' | 'problems'>): AppError {
  return new AppError(REFUSAL_CODES[refusal.kind], refusal.message, {
    context: { reason: refusal.code, ...(refusal.problems ? { problems: refusal.problems } : {}) },
  });
}

export const RequestIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
});

/** The answers every requests route may give besides its own. */
export const requestErrors = {
  ...commonErrors,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
} as const;

const GetRequestResponse = Type.Object({
  request: Type.String({ description: 'The ExtendedRequestModel serialized as a JSON string (ConsoleMe)' }),
  last_updated: Type.Integer({ description: 'Epoch seconds' }),
  request_config: RequestConfig,
  template: Type.Null(),
  approval: ApprovalExplanation,
});

const ListRequestsResponse = Type.Object({
  totalCount: Type.Integer(),
  filteredCount: Type.Integer(),
  data: Type.Array(RequestListItem),
});

/**
 * The policy-request workflow (services/requests does the work): ConsoleMe's `POST /api/v2/request`,
 * `POST /api/v2/requests`, `GET`/`PUT /api/v2/requests/{id}`, and Rolecall's request history.
 */
export function registerRequestRoutes(app: GatewayApp, deps: RouteDeps): void {
  app.post(
    '/api/v2/request',
    {
      schema: {
        tags: ['policy requests'],
        summary: 'Ask for permissions; with dry_run, see the full request and its generated changes unsaved',
        body: RequestCreationModel,
        response: { 200: RequestCreationResponse, ...requestErrors },
      },
    },
    async (request) => {
      const reply = await deps.requests.create(callerOf(request), request.body);
      if (reply.outcome === 'refused') throw refused(reply);
      return reply.response;
    },
  );

  app.post(
    '/api/v2/requests',
    {
      schema: {
        tags: ['policy requests'],
        summary: 'List requests, filtered by column (ConsoleMe DataTable)',
        body: RequestListFilters,
        response: { 200: ListRequestsResponse, ...requestErrors },
      },
    },
    async (request) => {
      const { items } = await deps.requests.list(callerOf(request), request.body);
      return { totalCount: items.length, filteredCount: items.length, data: items };
    },
  );

  app.get(
    '/api/v2/requests/:id',
    {
      schema: {
        tags: ['policy requests'],
        summary: 'A request, what you may do with it, and who still needs to approve it',
        params: RequestIdParams,
        response: { 200: GetRequestResponse, ...requestErrors },
      },
    },
    async (request) => {
      const reply = await deps.requests.get(callerOf(request), request.params.id);
      if (reply.outcome === 'refused') throw refused(reply);
      return {
        request: JSON.stringify(reply.request),
        last_updated: Math.floor(Date.parse(reply.request.last_updated) / 1000),
        request_config: reply.requestConfig,
        template: null,
        approval: reply.approval,
      };
    },
  );

  app.put(
    '/api/v2/requests/:id',
    {
      schema: {
        tags: ['policy requests'],
        summary: 'Comment on, edit, approve, reject, cancel or apply a request',
        params: RequestIdParams,
        body: PolicyRequestModificationModel,
        response: { 200: PolicyRequestModificationResponse, ...requestErrors },
      },
    },
    async (request) => {
      const reply = await deps.requests.modify(callerOf(request), request.params.id, request.body);
      if (reply.outcome === 'refused') throw refused(reply);
      return reply.response;
    },
  );

  app.get(
    '/api/v3/requests/:id/events',
    {
      schema: {
        tags: ['policy requests'],
        summary: "A request's full history, oldest first",
        params: RequestIdParams,
        response: { 200: Type.Object({ items: Type.Array(PolicyRequestHistoryItem) }), ...requestErrors },
      },
    },
    async (request) => {
      const reply = await deps.requests.history(callerOf(request), request.params.id);
      if (reply.outcome === 'refused') throw refused(reply);
      return { items: reply.items };
    },
  );
}
