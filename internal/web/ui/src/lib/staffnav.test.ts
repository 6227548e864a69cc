import { describe, expect, it } from 'vitest';
import { match } from './router';
import { isStaffRoute, navFor, staffNav } from './staffnav';

describe('staff navigation', () => {
  it('shows each role only its entries', () => {
    expect(navFor(staffNav, ['learner'])).toEqual([]);
    expect(navFor(staffNav, ['learner', 'trainer']).map((e) => e.label)).toEqual(['Modules']);
    expect(navFor(staffNav, ['admin']).length).toBe(staffNav.length);
  });

  it('routes the trainer and admin pages', () => {
    expect(match('/trainer/modules/new').name).toBe('trainer-new');
    expect(match('/trainer/modules/fair-ai/edit').params.slug).toBe('fair-ai');
    expect(match('/trainer/modules/fair-ai/feedback').name).toBe('trainer-feedback');
    expect(match('/admin/users/abc').params.id).toBe('abc');
    for (const e of staffNav) expect(isStaffRoute(match(e.href).name)).toBe(true);
    expect(isStaffRoute('home')).toBe(false);
  });
});
