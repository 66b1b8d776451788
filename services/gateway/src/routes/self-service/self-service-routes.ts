import { buildPermissionsMap, describeIamData, mergePermissionTemplates } from '@rolecall/policy';
import {
  ChangeGeneratorModelArray,
  ChangeModelArray,
  PermissionTemplates,
  SelfServiceConfig,
} from '@rolecall/shared/contracts';
import type { ChangeGeneratorService } from '../../adapters/nats-self-service.js';
import type { GatewayApp, RouteDeps } from '../deps.js';
import { callerOf } from '../credentials/request-context.js';
import { refused } from '../requests/request-routes.js';
import { ErrorBody, commonErrors } from '../schemas.js';

export interface SelfServiceRouteDeps extends RouteDeps {
  generator: ChangeGeneratorService;
}

const HELP =
  'Pick the role or user, then what it needs in plain words: Rolecall turns that into the smallest ' +
  'policy that grants it, from AWS’s published IAM data, and merges it into the policy Rolecall manages ' +
  'on that principal. Review the result, give a justification, and submit it as a request.';

/**
 * The self-service wizard's backend, in ConsoleMe's shapes: its configuration (the choices, with their
 * actions from the IAM data), the permission templates (defaults, replaced by key from the dynamic
 * config), and `generate_changes`, which services/requests answers from the principal's cached policies.
 */
export function registerSelfServiceRoutes(app: GatewayApp, deps: SelfServiceRouteDeps): void {
  // The IAM data is fixed for the life of the process (the package is pinned), so the map is built once.
  let config: Promise<SelfServiceConfig> | undefined;
  const selfServiceConfig = () =>
    (config ??= Promise.all([buildPermissionsMap(), describeIamData()]).then(([map, data]) => ({
      admin_bypass_approval_enabled: true,
      export_to_terraform_enabled: false,
      help_message: HELP,
      permissions_map: map,
      iam_data: { version: data.version, updated_at: data.updatedAt },
    })));

  app.get(
    '/api/v2/self_service_config',
    {
      schema: {
        tags: ['self-service'],
        summary: "The wizard's choices per generator type, with the IAM actions each grants",
        response: { 200: SelfServiceConfig, ...commonErrors },
      },
    },
    () => selfServiceConfig(),
  );

  app.get(
    '/api/v2/permission_templates',
    {
      schema: {
        tags: ['self-service'],
        summary: 'Policy templates for the editor: the defaults, replaced by key from the dynamic config',
        response: { 200: PermissionTemplates, ...commonErrors, 503: ErrorBody },
      },
    },
    async () => {
      const { config: dynamic } = await deps.dynamicConfig.load();
      return { permission_templates: mergePermissionTemplates(dynamic.permission_templates) };
    },
  );

  app.post(
    '/api/v2/generate_changes',
    {
      schema: {
        tags: ['self-service'],
        summary:
          'Turn wizard choices into the inline-policy change for POST /api/v2/request, merged into the ' +
          "principal's Rolecall-managed policy",
        body: ChangeGeneratorModelArray,
        response: { 200: ChangeModelArray, ...commonErrors, 404: ErrorBody, 503: ErrorBody, 504: ErrorBody },
      },
    },
    async (request) => {
      const reply = await deps.generator.generate(callerOf(request), request.body);
      if (reply.outcome === 'refused') throw refused(reply);
      return reply.changes;
    },
  );
}
