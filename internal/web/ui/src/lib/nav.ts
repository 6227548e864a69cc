// The main navigation: one entry per page, each with the roles that may
// see it (an empty list: everyone signed in). Pages of every part of the
// app add their entries here; the header shows only the ones the person's
// roles allow, and App.svelte refuses a page the roles do not allow with
// the same "not allowed" message a 403 from the API gets.

export interface NavEntry {
  href: string;
  label: string;
  /** The route names that mark this entry as the current page. */
  routes: string[];
  /** Roles allowed to see it; empty: every signed-in person. */
  roles: string[];
  /** Shown only when the person has this (e.g. "team": direct reports); the page itself stays open. */
  when?: string;
}

export const nav: NavEntry[] = [
  { href: '/', label: 'My learning', routes: ['home', 'module', 'lesson', 'quiz'], roles: [] },
  { href: '/records', label: 'My records', routes: ['records'], roles: [] },
  // Managers: their direct reports (only for people who have some).
  { href: '/team', label: 'My team', routes: ['team'], roles: [], when: 'team' },
  // HR: people, assignments, reports.
  { href: '/people', label: 'People', routes: ['people'], roles: ['hr', 'admin'] },
  { href: '/assignments', label: 'Assignments', routes: ['assignments'], roles: ['hr', 'admin'] },
  { href: '/reports', label: 'Reports', routes: ['reports'], roles: ['hr', 'admin'] },
  { href: '/readiness', label: 'Readiness', routes: ['readiness'], roles: ['hr', 'admin'] },
  // Trainers: modules (list, editor, feedback).
  {
    href: '/trainer/modules',
    label: 'Modules',
    routes: ['trainer-modules', 'trainer-new', 'trainer-edit', 'trainer-feedback'],
    roles: ['trainer', 'admin'],
  },
  // Admins: roles, audit log, deliveries.
  { href: '/admin/users', label: 'Roles', routes: ['admin-users', 'admin-user'], roles: ['admin'] },
  { href: '/admin/audit', label: 'Audit log', routes: ['admin-audit'], roles: ['admin'] },
  { href: '/admin/deliveries', label: 'Deliveries', routes: ['admin-deliveries'], roles: ['admin'] },
  { href: '/settings', label: 'Settings', routes: ['settings'], roles: [] },
];

export function allowed(entry: { roles: string[] }, roles: readonly string[]): boolean {
  return entry.roles.length === 0 || entry.roles.some((r) => roles.includes(r));
}

/** The entries a person holding roles (and having what `has` names) sees, in order. */
export function visibleNav(roles: readonly string[], entries: NavEntry[] = nav, has: readonly string[] = []): NavEntry[] {
  return entries.filter((e) => allowed(e, roles) && (!e.when || has.includes(e.when)));
}

/** Whether roles may open the page of route name (pages no entry names are open to all). */
export function mayOpen(route: string, roles: readonly string[], entries: NavEntry[] = nav): boolean {
  const owners = entries.filter((e) => e.routes.includes(route));
  return owners.length === 0 || owners.some((e) => allowed(e, roles));
}
