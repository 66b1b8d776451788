import { describe, expect, it } from 'vitest';
import { formatServerSentEvent } from './server-sent-events.js';

/** What an EventSource would dispatch from the text: each event's id, type and data (the spec's parser, reduced). */
function parse(text: string): { id?: string; event?: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      const out: { id?: string; event?: string; data: string } = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(': ');
        const value = rest.join(': ');
        if (field === 'id') out.id = value;
        else if (field === 'event') out.event = value;
        else if (field === 'data') data.push(value);
      }
      out.data = data.join('\n');
      return out;
    });
}

describe('formatServerSentEvent', () => {
  it('writes id, event and JSON data, ended by a blank line', () => {
    const text = formatServerSentEvent({ id: '7', event: 'approved', data: { requestId: 'r1' } });
    expect(text).toBe('id: 7\nevent: approved\ndata: {"requestId":"r1"}\n\n');
  });

  it('keeps line breaks inside the data from ending the event early', () => {
    const comment = 'first line\nsecond line\r\n\nthird';
    const [event, ...rest] = parse(formatServerSentEvent({ event: 'commented', data: { message: comment } }));
    expect(rest).toEqual([]);
    expect(JSON.parse(event?.data ?? '')).toEqual({ message: comment });
  });

  it('cannot be made to start another field through the id or the event name', () => {
    const text = formatServerSentEvent({ id: '1\ndata: forged', event: 'x\n\nevent: y', data: 1 });
    const events = parse(text);
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toBe('1');
  });
});
