/** Access levels as the build writes them into iam-actions.txt (scripts/build-iam-actions.mjs). */
const LEVELS: Record<string, string> = {
  L: 'List',
  R: 'Read',
  W: 'Write',
  P: 'Permissions management',
  T: 'Tagging',
};

export interface IamAction {
  name: string;
  level: string;
}

let loading: Promise<Map<string, IamAction[]>> | undefined;

/** Every IAM action by service prefix, fetched once, only when an editor first asks. */
export function loadIamActions(): Promise<Map<string, IamAction[]>> {
  loading ??= fetch('/iam-actions.txt')
    .then((response) => {
      if (!response.ok) throw new Error(`iam-actions.txt answered ${response.status}`);
      return response.text();
    })
    .then(parseIamActions)
    .catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  return loading;
}

export function parseIamActions(text: string): Map<string, IamAction[]> {
  const services = new Map<string, IamAction[]>();
  for (const line of text.split('\n')) {
    const [service, ...actions] = line.trim().split(' ');
    if (!service) continue;
    services.set(
      service,
      actions.map((entry) => {
        const [name = '', level = 'R'] = entry.split(':');
        return { name, level: LEVELS[level] ?? 'Read' };
      }),
    );
  }
  return services;
}
