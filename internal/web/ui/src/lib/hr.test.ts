import { describe, expect, it } from 'vitest';
import { assignRequest, bars, query, type AssignForm } from './hr';

const form = (over: Partial<AssignForm> = {}): AssignForm => ({
  module: 'fair-ai',
  target: 'department',
  departments: ['Marketing'],
  newDepartment: '',
  userIds: [],
  due: 'date',
  dueDate: '2027-01-31',
  dueInDays: '',
  graceDays: '',
  ...over,
});

describe('query', () => {
  it('keeps only the parameters with a value', () => {
    expect(query({ q: 'ada lovelace', department: '', cursor: null, invite: true, dry: false, limit: 50 })).toBe('?q=ada+lovelace&invite=true&limit=50');
    expect(query({})).toBe('');
  });
});

describe('assignRequest', () => {
  it('assigns departments with a due date at the end of that day', () => {
    const { body, missing } = assignRequest(form());
    expect(missing).toEqual([]);
    expect(body).toEqual({ module: 'fair-ai', departments: ['Marketing'], due_at: new Date('2027-01-31T23:59:59').toISOString() });
  });
  it('makes a standing rule with days and grace', () => {
    const { body } = assignRequest(form({ due: 'rule', dueInDays: '30', graceDays: '14' }));
    expect(body).toEqual({ module: 'fair-ai', departments: ['Marketing'], due_in_days: 30, include_new_members: true, grace_days: 14 });
  });
  it('adds a typed department once, for a rule made before anyone joins', () => {
    expect(assignRequest(form({ due: 'rule', dueInDays: '30', newDepartment: ' Field Sales ' })).body?.departments).toEqual(['Marketing', 'Field Sales']);
    expect(assignRequest(form({ newDepartment: 'marketing' })).body?.departments).toEqual(['Marketing']);
    expect(assignRequest(form({ departments: [], newDepartment: 'Field Sales' })).missing).toEqual([]);
  });
  it('assigns people, due some days from now', () => {
    const { body } = assignRequest(form({ target: 'people', userIds: ['u1'], due: 'days', dueInDays: '7' }));
    expect(body).toEqual({ module: 'fair-ai', user_ids: ['u1'], due_in_days: 7 });
  });
  it('names every missing field', () => {
    const { body, missing } = assignRequest(form({ module: '', departments: [], dueDate: '', graceDays: '-1' }));
    expect(body).toBeNull();
    expect(missing.map((m) => m.field)).toEqual(['module', 'departments', 'due_at', 'grace_days']);
    expect(assignRequest(form({ target: 'people', userIds: ['u1'], due: 'rule', dueInDays: '5' })).missing.map((m) => m.field)).toEqual(['due']);
  });
});

describe('bars', () => {
  it('scales to the largest value, or to a given maximum', () => {
    const g = [
      { key: 'a', value: 2, label: '2' },
      { key: 'b', value: 4, label: '4' },
    ];
    expect(bars(g, 100, 30).map((b) => [b.y, b.width])).toEqual([
      [0, 50],
      [30, 100],
    ]);
    expect(bars([{ key: 'a', value: 0.5, label: '50%' }], 200, 30, 1)[0].width).toBe(100);
    expect(bars([{ key: 'a', value: 0, label: '0' }], 200, 30)[0].width).toBe(0);
  });
});
