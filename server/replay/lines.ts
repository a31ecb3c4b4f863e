/**
 * Splits an uploaded body into lines as it arrives, within limits: the whole body, one line, and
 * UTF-8 that decodes. Each line comes with its number (from 1) and whether a newline ended it.
 */
import { ReplayImportError } from './import-error';

export interface LineLimits {
  maxBytes: number;
  maxLineBytes: number;
}

export interface Line {
  number: number;
  text: string;
  terminated: boolean;
}

const NEWLINE = 0x0a;
const mib = (bytes: number): string => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;

export async function* splitLines(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, limits: LineLimits): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Buffer, number: number): string => {
    try {
      return decoder.decode(bytes).replace(/\r$/, '');
    } catch {
      throw new ReplayImportError(number, 'is not valid UTF-8 text');
    }
  };
  let held: Buffer[] = [];
  let heldBytes = 0;
  let total = 0;
  let number = 1;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > limits.maxBytes) throw new ReplayImportError(number, `the log is larger than ${mib(limits.maxBytes)}, the most a replay may hold`, 'PayloadTooLarge');
    let start = 0;
    for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, start)) {
      const piece = bytes.subarray(start, at);
      const line = heldBytes ? Buffer.concat([...held, piece]) : piece;
      if (line.length > limits.maxLineBytes) throw new ReplayImportError(number, `is longer than ${mib(limits.maxLineBytes)}`, 'PayloadTooLarge');
      yield { number, text: decode(line, number), terminated: true };
      held = [];
      heldBytes = 0;
      number++;
      start = at + 1;
    }
    if (start < bytes.length) {
      held.push(bytes.subarray(start));
      heldBytes += bytes.length - start;
      if (heldBytes > limits.maxLineBytes) throw new ReplayImportError(number, `is longer than ${mib(limits.maxLineBytes)}`, 'PayloadTooLarge');
    }
  }
  if (heldBytes) yield { number, text: decode(Buffer.concat(held), number), terminated: false };
}
