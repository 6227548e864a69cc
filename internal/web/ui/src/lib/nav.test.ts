import { describe, expect, it } from 'vitest';
import { mayOpen, visibleNav } from './nav';

const labels = (roles: string[]) => visibleNav(roles).map((e) => e.label);

describe('navigation', () => {
  it('shows a learner only the learner pages', () => {
    expect(labels(['learner'])).toEqual(['My learning', 'My records', 'Settings']);
  });
  it('adds the HR pages for HR and admins', () => {
    expect(labels(['learner', 'hr'])).toEqual(['My learning', 'My records', 'People', 'Assignments', 'Reports', 'Settings']);
    expect(labels(['admin'])).toContain('Reports');
  });
  it('refuses a page the roles do not allow', () => {
    expect(mayOpen('people', ['learner'])).toBe(false);
    expect(mayOpen('people', ['hr'])).toBe(true);
    expect(mayOpen('home', ['learner'])).toBe(true);
    expect(mayOpen('some-other-page', ['learner'])).toBe(true);
  });
});
