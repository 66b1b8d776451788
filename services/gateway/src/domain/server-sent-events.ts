/** One server-sent event as the `text/event-stream` format writes it. */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  /** Sent as JSON. */
  data: unknown;
}

/** A field value on one line: a line break inside it would start another field (or end the event). */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ');

/**
 * Formats an event for the wire (WHATWG HTML, "Server-sent events"): `id:`, `event:`, then the data as
 * JSON, one `data:` line per line of it, and a blank line that dispatches it.
 */
export function formatServerSentEvent(event: ServerSentEvent): string {
  const lines: string[] = [];
  if (event.id !== undefined) lines.push(`id: ${oneLine(event.id)}`);
  if (event.event !== undefined) lines.push(`event: ${oneLine(event.event)}`);
  for (const line of JSON.stringify(event.data).split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}
