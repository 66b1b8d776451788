import { Type, type Static } from 'typebox';
import { defineMessage } from './envelope.js';
import { defineEvent, defineStream } from './event.js';

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

/**
 * Created by the gateway at its start: it is where dynamic config is saved (the config API), so the
 * stream exists before the first save can be announced. Every service that watches the config (the
 * broker) waits for it.
 */
export const configStreams = {
  /** Dynamic configuration saved: every service reloads it from DynamoDB. */
  configChanges: defineStream({
    name: 'CONFIG_CHANGES',
    owner: 'gateway',
    subjects: [configSubjects.dynamicAll],
    retention: 'limits',
    maxAgeSeconds: 7 * 24 * 3600,
    duplicateWindowSeconds: 600,
  }),
} as const;

/** Published by the dynamic-config store on every save (the gateway's config API). */
export const configEvents = {
  /** Id: the saved version (sha256 and time), so a retried announcement of one save is one message. */
  dynamicConfigChanged: defineEvent({
    owner: 'gateway',
    stream: configStreams.configChanges,
    message: DynamicConfigChanged,
    subject: () => configSubjects.dynamicChanged,
    msgId: (change) => `dynamic-config-${change.sha256}-${change.updatedAt}`,
  }),
} as const;
