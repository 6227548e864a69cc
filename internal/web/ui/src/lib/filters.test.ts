import { describe, expect, it } from 'vitest';
import { query } from './filters';

describe('list filters', () => {
  it('sends only the filters that are set, trimmed and encoded', () => {
    expect(query({ action: '', actor: '  ' })).toBe('');
    expect(query({ action: ' user.roles_changed ', from: '2026-11-01', to: '' })).toBe('?action=user.roles_changed&from=2026-11-01');
    expect(query({ q: 'a&b' })).toBe('?q=a%26b');
  });
});
