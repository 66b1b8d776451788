import { Type, type Static } from '@sinclair/typebox';
import { defineMessage } from './envelope.js';

/** Subjects about configuration (stream CONFIG_CHANGES). */
export const configSubjects = {
  dynamicChanged: 'config.dynamic.changed',
  dynamicAll: 'config.dynamic.>',
} as const;

/**
 * Published after every saved dynamic-config change. It carries no content: each service reloads the
 * document from DynamoDB, so the event stays small and nobody acts on a copy that skipped validation.
 */
export const DynamicConfigChange = Type.Object({
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  updatedBy: Type.String(),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type DynamicConfigChange = Static<typeof DynamicConfigChange>;
export const DynamicConfigChanged = defineMessage('config.dynamic.changed', 1, DynamicConfigChange);
