import { awsClientConfig, getCallerIdentity, STSClient } from '@rolecall/shared/aws';
import type { CallerIdentityLookup } from '../domain/ports.js';

/** GetCallerIdentity with the given session credentials, against the configured AWS endpoint (moto). */
export function createStsCallerIdentityLookup(options: {
  region: string;
  endpointUrl?: string | undefined;
}): CallerIdentityLookup {
  return {
    async whoAmI(credentials) {
      const sts = new STSClient(
        awsClientConfig('sts', {
          region: options.region,
          endpointUrl: options.endpointUrl,
          credentials,
          maxAttempts: 2,
        }),
      );
      try {
        return await getCallerIdentity(sts);
      } finally {
        sts.destroy();
      }
    },
  };
}
