/**
 * Turns moto's IAM enforcement on or off while it runs (its `/moto-api/reset-auth`, which sets
 * INITIAL_NO_AUTH_ACTION_COUNT): on, every call is checked against the caller's identity policies, as
 * AWS would; off, moto allows everything, which the services' own set-up credentials rely on. A test
 * turns it on only around the calls whose permission it proves, and off again in a `finally`.
 */
export async function setMotoIamEnforcement(endpointUrl: string, enforce: boolean): Promise<void> {
  const response = await fetch(new URL('/moto-api/reset-auth', endpointUrl), {
    method: 'POST',
    body: enforce ? '0' : 'inf',
  });
  if (!response.ok) throw new Error(`moto reset-auth answered ${response.status}: ${await response.text()}`);
}

/** Runs `body` with moto's IAM enforcement on, and turns it off again however `body` ends. */
export async function withMotoIamEnforced<T>(endpointUrl: string, body: () => Promise<T>): Promise<T> {
  await setMotoIamEnforcement(endpointUrl, true);
  try {
    return await body();
  } finally {
    await setMotoIamEnforcement(endpointUrl, false);
  }
}
