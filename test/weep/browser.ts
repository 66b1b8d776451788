/** A signed-in browser: the oauth2-proxy headers the gateway believes from loopback. */
export const asUser = (user: string, groups: readonly string[]): Record<string, string> => ({
  'x-forwarded-email': user,
  'x-forwarded-groups': groups.join(','),
});

export interface ApprovedChallenge {
  /** What the approval page showed (ConsoleMe's `{message, nonce, show_approve_button}`). */
  page: Record<string, unknown>;
  /** The answer to the Approve button. */
  approval: Record<string, unknown>;
}

/**
 * Does what the person does in the browser weep opened: loads the challenge page, reads what the
 * validator says about the request, and presses Approve. Runs from the same loopback address as weep,
 * since the gateway binds a challenge to the address that created it.
 */
export async function approveChallenge(options: {
  gatewayUrl: string;
  challengeUrl: string;
  user: string;
  groups: readonly string[];
}): Promise<ApprovedChallenge> {
  const headers = asUser(options.user, options.groups);
  const token = new URL(options.challengeUrl).pathname.split('/').filter(Boolean).pop() ?? '';
  const html = await fetch(options.challengeUrl, { headers });
  if (html.status !== 200) throw new Error(`challenge page answered ${html.status}: ${await html.text()}`);
  await html.text();

  const validator = `${options.gatewayUrl}/api/v2/challenge_validator/${encodeURIComponent(token)}`;
  const pageResponse = await fetch(validator, { headers });
  const page = (await pageResponse.json()) as Record<string, unknown>;
  if (pageResponse.status !== 200)
    throw new Error(`challenge validator answered ${pageResponse.status}: ${JSON.stringify(page)}`);
  const approvalResponse = await fetch(validator, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ nonce: page.nonce }),
  });
  const approval = (await approvalResponse.json()) as Record<string, unknown>;
  if (approvalResponse.status !== 200)
    throw new Error(
      `approving the challenge answered ${approvalResponse.status}: ${JSON.stringify(approval)}`,
    );
  return { page, approval };
}
