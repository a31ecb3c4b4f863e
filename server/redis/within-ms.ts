/** The reply, or `otherwise` once `ms` have passed without it (the reply is then left to itself). */
export function withinMs<T>(reply: Promise<T>, ms: number, otherwise: T): Promise<T> {
  reply.catch(() => {}); // after the bound nobody awaits it
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(otherwise), ms);
  });
  return Promise.race([reply, bound]).finally(() => clearTimeout(timer));
}
