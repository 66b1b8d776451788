import type { TSchema } from 'typebox';
import { RolecallConfig } from './schema.js';

export interface ConfigKey {
  path: string;
  type: string;
  default: string;
  description: string;
}

/** Every leaf key of the configuration schema, with its type, default and description (for the README). */
export function listConfigKeys(schema: TSchema = RolecallConfig, prefix = ''): ConfigKey[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties || (schema as { type?: string }).type !== 'object') {
    return [
      {
        path: prefix,
        type: describeType(schema),
        default: describeDefault(schema),
        description: (schema as { description?: string }).description ?? '',
      },
    ];
  }
  return Object.entries(properties).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const nested = (child as { properties?: unknown }).properties;
    return nested && (child as { type?: string }).type === 'object'
      ? listConfigKeys(child, path)
      : [
          {
            path,
            type: describeType(child),
            default: describeDefault(child),
            description: (child as { description?: string }).description ?? '',
          },
        ];
  });
}

function describeType(schema: TSchema): string {
  const s = schema as { type?: string; anyOf?: TSchema[]; const?: unknown; items?: TSchema };
  if (s.anyOf)
    return s.anyOf.map((o) => ('const' in o ? JSON.stringify(o.const) : describeType(o))).join(' \\| ');
  if (s.type === 'array') return `${s.items ? describeType(s.items) : 'unknown'}[]`;
  return s.type ?? 'object';
}

function describeDefault(schema: TSchema): string {
  const value = (schema as { default?: unknown }).default;
  return value === undefined ? '' : JSON.stringify(value);
}

/** The configuration table in Markdown. */
export function renderConfigTable(): string {
  const rows = listConfigKeys().map(
    (k) => `| \`${k.path}\` | ${k.type} | ${k.default ? `\`${k.default}\`` : '—'} | ${k.description} |`,
  );
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
