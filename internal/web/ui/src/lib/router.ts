// A tiny client-side router: named patterns, the History API, and
// same-origin link clicks intercepted so pages change without a reload.

export interface Match {
  name: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

const routes: [string, string][] = [
  ['home', '/'],
  ['signin', '/sign-in'],
  ['module', '/modules/:slug'],
  ['lesson', '/modules/:slug/lessons/:lesson'],
  ['quiz', '/modules/:slug/quiz'],
  ['records', '/records'],
  ['verify', '/verify/:id'],
  ['forgot', '/forgot-password'],
  ['accept', '/accept-invite'],
  ['reset', '/reset-password'],
  ['settings', '/settings'],
  // Pulses, policies, privacy and the manager's team (loaded on demand too)
  ['pulse', '/pulses/:slug'],
  ['policies', '/policies'],
  ['policy', '/policies/:slug'],
  ['privacy', '/privacy'],
  ['team', '/team'],
  // HR, trainer and admin pages (loaded on demand: see lib/pages.ts; roles in lib/nav.ts)
  ['people', '/people'],
  ['assignments', '/assignments'],
  ['reports', '/reports'],
  ['readiness', '/readiness'],
  ['trainer-modules', '/trainer/modules'],
  ['trainer-new', '/trainer/modules/new'],
  ['trainer-edit', '/trainer/modules/:slug/edit'],
  ['trainer-feedback', '/trainer/modules/:slug/feedback'],
  ['admin-audit', '/admin/audit'],
  ['admin-deliveries', '/admin/deliveries'],
  ['admin-users', '/admin/users'],
  ['admin-user', '/admin/users/:id'],
];

/** The route for a URL path and query; name "notfound" when none fits. */
export function match(path: string, search = ''): Match {
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  for (const [name, pattern] of routes) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(':')) {
        try {
          params[want[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else ok = want[i] === parts[i];
    }
    if (ok) return { name, params, query };
  }
  return { name: 'notfound', params: {}, query };
}

type Listener = (m: Match) => void;
const listeners = new Set<Listener>();

export function current(): Match {
  return match(location.pathname, location.search);
}

export function onRoute(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  emit();
}

function emit(): void {
  const m = current();
  for (const fn of listeners) fn(m);
}

/** Starts listening to back/forward and to clicks on in-app links. */
export function start(): void {
  window.addEventListener('popstate', emit);
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    ev.preventDefault();
    navigate(url.pathname + url.search);
  });
}

/** A path with its dynamic parts encoded. */
export function href(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}
