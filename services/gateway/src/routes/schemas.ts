import { AccountIdPattern } from '@rolecall/shared/contracts';
import { Type } from 'typebox';

/** Every error answer: a stable code, a message for people, and facts about the failure. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code from the Rolecall catalogue' }),
    message: Type.String(),
    status: Type.Optional(Type.Integer({ description: 'HTTP status (ConsoleMe v2 routes only)' })),
    title: Type.Optional(Type.String({ description: 'HTTP reason phrase (ConsoleMe v2 routes only)' })),
  },
  { additionalProperties: true },
);

/** The error answers every signed-in route can give, for the OpenAPI document. */
export const commonErrors = {
  400: ErrorBody,
  401: ErrorBody,
} as const;

export const AccountIdString = Type.String({
  pattern: AccountIdPattern,
  description: '12-digit AWS account id',
  examples: ['123456789012'],
});
