import { parseRoute, type Route } from './routes';

/** The current page, following the address bar (pushState on navigation, popstate on back/forward). */
class Router {
  route = $state<Route>(parseRoute(location.pathname));

  constructor() {
    window.addEventListener('popstate', () => (this.route = parseRoute(location.pathname)));
  }

  navigate(path: string, { replace = false } = {}): void {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    this.route = parseRoute(location.pathname);
    window.scrollTo(0, 0);
  }

  /** For `<a href onclick>`: keeps modified clicks (new tab) to the browser. */
  follow = (event: MouseEvent): void => {
    const anchor = event.currentTarget;
    if (!(anchor instanceof HTMLAnchorElement) || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    this.navigate(anchor.pathname);
  };
}

export const router = new Router();
