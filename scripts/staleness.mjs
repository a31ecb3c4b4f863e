// Whether a build output is missing or was built from other sources than those now on disk. A
// digest of the sources' paths and contents is kept beside the output: file dates would miss an
// upgrade that keeps them (rsync -a, tar x, cp -p leave sources older than the old output).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** SHA-256 of every file under `sources` (paths relative to `root`, folders walked, node_modules skipped). */
export function sourcesDigest(root, sources) {
  const hash = createHash('sha256');
  const walk = (relative) => {
    const absolute = path.join(root, relative);
    if (!existsSync(absolute)) return;
    if (statSync(absolute).isDirectory()) {
      for (const entry of readdirSync(absolute).sort()) if (entry !== 'node_modules') walk(path.join(relative, entry));
      return;
    }
    hash.update(`${relative}\0`).update(readFileSync(absolute)).update('\0');
  };
  for (const source of sources) walk(source);
  return hash.digest('hex');
}

/** A build output, the sources it is built from, and where the digest of those it was last built from is kept. */
export function buildStamp(root, { output, stamp, sources }) {
  return {
    /** The digest of the sources now, when the output is missing or was built from others; else null. */
    staleDigest() {
      const digest = sourcesDigest(root, sources);
      const built = existsSync(output) && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
      return built === digest ? null : digest;
    },
    /** Records that the output now holds the sources of `digest` (read before the build began). */
    record(digest) {
      writeFileSync(stamp, `${digest}\n`);
    },
  };
}
