import { describe, expect, it } from 'vitest';
import { lazyPages } from './pages';
import { match } from './router';
import { mayOpen, nav, visibleNav } from './nav';

const labels = (roles: string[]) => visibleNav(roles).map((e) => e.label);

describe('navigation', () => {
  it('shows a learner only the learner pages', () => {
    expect(labels(['learner'])).toEqual(['My learning', 'My records', 'Settings']);
  });
  it('adds the HR pages for HR', () => {
    expect(labels(['learner', 'hr'])).toEqual(['My learning', 'My records', 'People', 'Assignments', 'Reports', 'Readiness', 'Settings']);
  });
  it('adds the trainer pages for trainers', () => {
    expect(labels(['learner', 'trainer'])).toEqual(['My learning', 'My records', 'Modules', 'Settings']);
  });
  it('shows an admin every entry (My team only with direct reports)', () => {
    expect(labels(['admin'])).toEqual(nav.filter((e) => !e.when).map((e) => e.label));
    expect(visibleNav(['admin'], nav, ['team']).map((e) => e.label)).toEqual(nav.map((e) => e.label));
  });
  it('shows My team to a manager of any role, and the readiness report to HR', () => {
    expect(visibleNav(['learner'], nav, ['team']).map((e) => e.label)).toEqual(['My learning', 'My records', 'My team', 'Settings']);
    expect(labels(['hr'])).toContain('Readiness');
    expect(mayOpen('readiness', ['learner'])).toBe(false);
    expect(mayOpen('team', ['learner'])).toBe(true);
  });
  it('refuses a page the roles do not allow', () => {
    expect(mayOpen('people', ['learner'])).toBe(false);
    expect(mayOpen('people', ['hr'])).toBe(true);
    expect(mayOpen('trainer-edit', ['hr'])).toBe(false);
    expect(mayOpen('trainer-edit', ['trainer'])).toBe(true);
    expect(mayOpen('admin-user', ['trainer', 'hr'])).toBe(false);
    expect(mayOpen('admin-user', ['admin'])).toBe(true);
    expect(mayOpen('home', ['learner'])).toBe(true);
    expect(mayOpen('some-other-page', ['learner'])).toBe(true);
  });
  it('guards every page loaded on demand with a role', () => {
    // A staff page no entry names would be open to everyone signed in.
    const everyone = new Set(['pulse', 'policies', 'policy', 'privacy', 'team']);
    for (const name of Object.keys(lazyPages)) expect(mayOpen(name, ['learner']), name).toBe(everyone.has(name));
  });
  it('routes every entry to a page', () => {
    for (const e of nav) expect(match(e.href).name).toBe(e.routes[0]);
  });
});

describe('trainer and admin routes', () => {
  it('match their paths with their parameters', () => {
    expect(match('/trainer/modules/new').name).toBe('trainer-new');
    expect(match('/trainer/modules/fair-ai/edit').params.slug).toBe('fair-ai');
    expect(match('/trainer/modules/fair-ai/feedback').name).toBe('trainer-feedback');
    expect(match('/admin/users/abc').params.id).toBe('abc');
  });
});
