/**
 * What a container's command does in the game. Most containers run until stopped. A command that
 * ends in `exit <code>` exits with that code, after the seconds of a `sleep <n>` before it (else 2 s):
 * `["sh", "-c", "sleep 5; exit 1"]` runs 5 s then fails with exit code 1, and so restarts into
 * CrashLoopBackOff. `["false"]` exits 1 and `["true"]` exits 0 at once.
 */
export interface Exit {
  exitCode: number;
  afterSeconds: number;
}

export const DEFAULT_RUN_SECONDS_BEFORE_EXIT = 2;

export function commandExit(command: readonly string[] | undefined): Exit | undefined {
  if (!command || command.length === 0) return undefined;
  if (command.length === 1 && command[0] === 'false') return { exitCode: 1, afterSeconds: 0 };
  if (command.length === 1 && command[0] === 'true') return { exitCode: 0, afterSeconds: 0 };
  const script = command.join(' ');
  const exit = /\bexit\s+(\d+)\s*;?\s*$/.exec(script);
  if (!exit) return undefined;
  const sleep = /\bsleep\s+(\d+)/.exec(script);
  return { exitCode: Number(exit[1]) % 256, afterSeconds: sleep ? Number(sleep[1]) : DEFAULT_RUN_SECONDS_BEFORE_EXIT };
}

/**
 * The default command of an image (its ENTRYPOINT), for a container that names none. Images whose
 * tag says `crashloop` (`shop:1.0-crashloop`) ship a broken build: the process fails 3 s after it
 * starts, so a scenario can show CrashLoopBackOff and then fix it with a new image.
 */
export function imageEntrypoint(image: string | undefined): string[] | undefined {
  const tag = image === undefined || !image.includes(':') ? '' : image.slice(image.lastIndexOf(':') + 1);
  return tag.includes('crashloop') ? ['sh', '-c', 'sleep 3; exit 1'] : undefined;
}

/** How a container's process ends: its own command, else the image's entrypoint. */
export function containerExit(container: { command?: readonly string[] | undefined; image?: string | undefined }): Exit | undefined {
  return commandExit(container.command && container.command.length ? container.command : imageEntrypoint(container.image));
}
