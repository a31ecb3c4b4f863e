/**
 * The notification a commit sends to the classroom's watchers (see scripts.ts, watch-hub.ts). It
 * carries the log entry itself, so a watcher that has read up to the version before fans it out
 * without reading the log; one that is behind reads the log from its cursor.
 * An entry larger than the store's limit (LOG_NOTICE_MAX_BYTES by default) is announced by its
 * resourceVersion alone: a pub/sub message waits in every subscriber's output buffer, which Redis caps.
 *
 * Format: the lines `rv`, `type`, `simTime`, `wallTime`, object JSON, request JSON (or empty), then
 * the actor as the rest of the message. JSON.stringify never writes a raw newline, and the actor,
 * the only free text, comes last, so splitting at the first six newlines is exact.
 */

export const LOG_NOTICE_MAX_BYTES = 65_536;

/** Builds the notice in the commit script, from its locals (see LOG_CHANGE in scripts.ts). */
export const LOG_NOTICE_LUA = `
local function logNotice(rv, type, json)
  if #json + #request > tonumber(noticeMax) then return rv end
  return table.concat({rv, type, simTime, wallTime, json, request, actor}, '\\n')
end
`;

export interface LogNotice {
  /** NaN when the message is not a notice: the watcher then reads the log. */
  rv: number;
  /** The entry's stream fields, as XRANGE would return them; absent when only the version came. */
  fields?: Record<string, string>;
}

const LINES = 6;

export function parseLogNotice(message: string): LogNotice {
  const lines: string[] = [];
  let at = 0;
  for (let i = 0; i < LINES; i++) {
    const end = message.indexOf('\n', at);
    if (end < 0) break;
    lines.push(message.slice(at, end));
    at = end + 1;
  }
  if (lines.length < LINES) return { rv: Number(lines.length === 0 ? message : NaN) };
  const [rv = '', type = '', simTime = '', wallTime = '', object = '', request = ''] = lines;
  const fields: Record<string, string> = { type, object, actor: message.slice(at), simTime, wallTime };
  if (request !== '') fields['request'] = request;
  return { rv: Number(rv), fields };
}
