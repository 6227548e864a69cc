// The trainer and admin entries of the main navigation, each with the
// roles that may use it. Kept apart from the learner's entries so the
// role-filtered navigation can take them as one list.

export interface NavEntry {
  href: string;
  label: string;
  /** Route names that mark this entry as the current page. */
  routes: string[];
  roles: string[];
}

export const staffNav: NavEntry[] = [
  { href: '/trainer/modules', label: 'Modules', routes: ['trainer-modules', 'trainer-new', 'trainer-edit', 'trainer-feedback'], roles: ['trainer', 'admin'] },
  { href: '/admin/users', label: 'Roles', routes: ['admin-users', 'admin-user'], roles: ['admin'] },
  { href: '/admin/audit', label: 'Audit log', routes: ['admin-audit'], roles: ['admin'] },
  { href: '/admin/deliveries', label: 'Deliveries', routes: ['admin-deliveries'], roles: ['admin'] },
];

/** The entries a person holding roles may use. */
export function navFor(entries: NavEntry[], roles: string[]): NavEntry[] {
  return entries.filter((e) => e.roles.some((r) => roles.includes(r)));
}

/** Whether a route belongs to the trainer and admin pages. */
export function isStaffRoute(name: string): boolean {
  return name.startsWith('trainer-') || name.startsWith('admin-');
}
