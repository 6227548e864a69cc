// The pages loaded on first use, each its own chunk, so a learner's first
// view carries none of them: HR, trainer and admin pages by route name.
// App.svelte shows them through Lazy.svelte once lib/nav.ts says the
// person's roles may open them.
import type { Component } from 'svelte';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PageLoader = () => Promise<{ default: Component<any> }>;

export const lazyPages: Record<string, PageLoader> = {
  // Everyone: pulses, policies, their data; managers: their team
  pulse: () => import('../pages/Pulse.svelte'),
  policies: () => import('../pages/Policies.svelte'),
  policy: () => import('../pages/Policy.svelte'),
  privacy: () => import('../pages/Privacy.svelte'),
  team: () => import('../pages/Team.svelte'),
  // HR
  people: () => import('../pages/hr/People.svelte'),
  assignments: () => import('../pages/hr/Assignments.svelte'),
  reports: () => import('../pages/hr/Reports.svelte'),
  readiness: () => import('../pages/hr/Readiness.svelte'),
  // Trainers
  'trainer-modules': () => import('../staff/ModuleList.svelte'),
  'trainer-new': () => import('../staff/ModuleEditor.svelte'),
  'trainer-edit': () => import('../staff/ModuleEditor.svelte'),
  'trainer-feedback': () => import('../staff/Feedback.svelte'),
  // Admins
  'admin-audit': () => import('../staff/Audit.svelte'),
  'admin-deliveries': () => import('../staff/Deliveries.svelte'),
  'admin-users': () => import('../staff/Users.svelte'),
  'admin-user': () => import('../staff/UserRoles.svelte'),
};
