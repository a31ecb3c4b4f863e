/**
 * Lines to and from gzip-compressed NDJSON files (compacted segments, archives). A file is written
 * beside its final name and renamed into place, so a reader never sees half a file.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** Writes the lines (each followed by a newline); resolves to how many and the file's size in bytes. */
export async function writeGzipLines(file: string, lines: AsyncIterable<string>): Promise<{ lines: number; bytes: number }> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  let count = 0;
  const text = Readable.from(
    (async function* () {
      for await (const line of lines) {
        count++;
        yield `${line}\n`;
      }
    })(),
  );
  try {
    await pipeline(text, createGzip(), createWriteStream(partial));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { lines: count, bytes: (await stat(file)).size };
}

/** The file's lines, without newlines. */
export async function* readGzipLines(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) yield line;
}
