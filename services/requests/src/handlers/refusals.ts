import type { RequestRefusal } from '@rolecall/shared/contracts';

/** The refusal every operation on one request gives when there is no such request (404). */
export const requestNotFound = (requestId: string): RequestRefusal => ({
  outcome: 'refused',
  kind: 'not_found',
  code: 'REQUEST_NOT_FOUND',
  message: `there is no request ${requestId}`,
});
