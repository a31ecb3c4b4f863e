/** The app's pages and their URLs (history API; the server answers every non-API path with the app). */
export type Route =
  | { page: 'home' }
  | { page: 'join'; code: string }
  | { page: 'instructor'; classroomId: string }
  | { page: 'play'; classroomId: string }
  | { page: 'display'; classroomId: string }
  | { page: 'replay'; replayId: string }
  | { page: 'not-found'; path: string };

const segment = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean);
  const [first, second, ...rest] = parts;
  if (parts.length === 0) return { page: 'home' };
  if (rest.length === 0 && second !== undefined && segment.test(second)) {
    if (first === 'join') return { page: 'join', code: second.toUpperCase() };
    if (first === 'classroom') return { page: 'instructor', classroomId: second };
    if (first === 'play') return { page: 'play', classroomId: second };
    if (first === 'display') return { page: 'display', classroomId: second };
    if (first === 'replay') return { page: 'replay', replayId: second };
  }
  return { page: 'not-found', path: pathname };
}

export const paths = {
  home: () => '/',
  join: (code: string) => `/join/${encodeURIComponent(code)}`,
  instructor: (classroomId: string) => `/classroom/${encodeURIComponent(classroomId)}`,
  play: (classroomId: string) => `/play/${encodeURIComponent(classroomId)}`,
  display: (classroomId: string) => `/display/${encodeURIComponent(classroomId)}`,
  /** The replay's read-only token in the fragment: shared with the link, never sent to the server. */
  replay: (replayId: string, token: string) => `/replay/${encodeURIComponent(replayId)}#${encodeURIComponent(token)}`,
};
