/** The refusal every operation on one request gives when there is no such request (404). */
export const requestNotFound = (requestId: string) => ({
  outcome: 'refused' as const,
  kind: 'not_found' as const,
  code: 'REQUEST_NOT_FOUND',
  message: `there is no request ${requestId}`,
});
