/**
 * The host screen's token arrives in the link's fragment (`/display/<id>#token=…`), which browsers
 * never send to a server or a proxy log. It is kept for this tab (a reload on the projector works)
 * and taken out of the address bar, so the projected address does not show it.
 */
const keyOf = (classroomId: string): string => `clusterplay.display.${classroomId}`;

export function takeDisplayToken(classroomId: string): string | null {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(keyOf(classroomId), fromLink);
    history.replaceState(history.state, '', location.pathname + location.search);
    return fromLink;
  }
  return sessionStorage.getItem(keyOf(classroomId));
}
