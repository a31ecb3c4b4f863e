/**
 * How long a pull takes in the game, per image repository, and which images do not exist.
 * An image tagged `:broken`, or whose name contains `nonexistent`, fails with ErrImagePull.
 */
import { fnv32a } from '../hash';

export const PULL_SECONDS: Readonly<Record<string, number>> = {
  busybox: 1,
  alpine: 1,
  nginx: 3,
  httpd: 3,
  redis: 5,
  postgres: 8,
  python: 10,
  node: 10,
};
export const DEFAULT_PULL_SECONDS = 4;
/** A broken pull fails after the registry answers "not found". */
export const FAILED_PULL_SECONDS = 2;
/** With `imagePullPolicy: Always` a cached image is only checked against the registry. */
export const CACHED_PULL_CHECK_SECONDS = 1;

function split(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  const withoutDigest = at < 0 ? image : image.slice(0, at);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > slash;
  return { repository: hasTag ? withoutDigest.slice(0, colon) : withoutDigest, tag: hasTag ? withoutDigest.slice(colon + 1) : 'latest' };
}

/** Names already worked out: a kubelet asks for its pods' images at every move, and a classroom has a handful of images. */
const FULL_NAMES = new Map<string, string>();
const FULL_NAMES_KEPT = 1000;

/** `nginx:1.27` -> `docker.io/library/nginx:1.27`, as containerd names it. */
export function fullImageName(image: string): string {
  const known = FULL_NAMES.get(image);
  if (known !== undefined) return known;
  const full = resolveImageName(image);
  if (FULL_NAMES.size < FULL_NAMES_KEPT) FULL_NAMES.set(image, full);
  return full;
}

function resolveImageName(image: string): string {
  const { repository, tag } = split(image);
  const first = repository.split('/')[0] ?? '';
  const hasRegistry = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasRegistry ? repository : repository.includes('/') ? `docker.io/${repository}` : `docker.io/library/${repository}`;
  return image.includes('@') ? `${path}@${image.slice(image.indexOf('@') + 1)}` : `${path}:${tag}`;
}

export function imageExists(image: string): boolean {
  const { repository, tag } = split(image);
  return tag !== 'broken' && !repository.includes('nonexistent');
}

export function pullSeconds(image: string): number {
  if (!imageExists(image)) return FAILED_PULL_SECONDS;
  const name = split(image).repository.split('/').pop() ?? '';
  return PULL_SECONDS[name] ?? DEFAULT_PULL_SECONDS;
}

/** containerd's error for an image the registry does not have. */
export function pullErrorMessage(image: string): string {
  const ref = fullImageName(image);
  return `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

/** The image's size as the Pulled event reports it: fixed per image name, between 5 and 205 MB. */
export function imageSizeBytes(image: string): number {
  return 5_000_000 + (fnv32a(fullImageName(image)) % 200_000_000);
}
