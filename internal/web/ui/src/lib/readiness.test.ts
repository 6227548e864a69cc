import { describe, expect, it } from 'vitest';
import { adoptionTotals, change, isoDay, mean, pulseRequest, readinessBars, type AdoptionRow, type ReadinessGroup, type WaitingPulse } from './readiness';
import { exportName, pending, policyTotals, type Policy, type PolicyReportRow } from './policy';

const pulse: WaitingPulse = {
  slug: 'ai-readiness',
  title: 'AI readiness',
  phase: 'before',
  scale: ['1', '2', '3', '4', '5'],
  items: [
    { id: 'understand', text: 'I understand' },
    { id: 'trust', text: 'I trust' },
  ],
};

describe('the pulse form', () => {
  it('names every statement without an answer, as the API names it', () => {
    const r = pulseRequest(pulse, { trust: 4 });
    expect(r.body).toBeNull();
    expect(r.missing).toEqual([{ field: 'answers.understand', message: 'Statement 1: choose an answer from 1 to 5' }]);
  });
  it('refuses answers off the scale', () => {
    expect(pulseRequest(pulse, { understand: 0, trust: 6 }).missing.map((m) => m.field)).toEqual(['answers.understand', 'answers.trust']);
  });
  it('sends the phase and every answer', () => {
    expect(pulseRequest(pulse, { understand: 2, trust: 5 }).body).toEqual({ phase: 'before', answers: { understand: 2, trust: 5 } });
  });
});

const group = (key: string, suppressed: boolean, items: [number | null, number | null][]): ReadinessGroup => ({
  key,
  respondents_before: suppressed ? 3 : 6,
  respondents_after: suppressed ? 2 : 5,
  respondents_both: 2,
  suppressed,
  items: items.map(([b, a], i) => ({ id: `s${i}`, text: `S${i}`, before_mean: b, after_mean: a, change: a !== null && b !== null ? a - b : null })),
});

describe('the readiness report', () => {
  it('formats means and signed changes', () => {
    expect(mean(3.456)).toBe('3.46');
    expect(mean(null)).toBe('—');
    expect(change(0.4)).toBe('+0.40');
    expect(change(-0.25)).toBe('−0.25');
    expect(change(0.001)).toBe('0.00');
    expect(change(null)).toBe('—');
  });
  it('draws a bar per group: the mean after answer, a suppressed group empty and hidden', () => {
    const bars = readinessBars([group('Marketing', false, [[2, 3], [3, 4]]), group('', true, [[null, null]]), group('Sales', false, [[2, null]])]);
    expect(bars).toEqual([
      { key: 'Marketing', value: 3.5, label: '3.50' },
      { key: '(no department)', value: 0, label: 'hidden' },
      { key: 'Sales', value: 0, label: '—' },
    ]);
  });
});

describe('the adoption report', () => {
  const row = (department: string, week: string, completions: number, hours: number, overdue: number): AdoptionRow => ({
    department, week, completions, training_hours: hours, readiness_change: null, readiness_suppressed: true,
    respondents_before: 0, respondents_after: 0, average_feedback: null, feedback_count: 0, overdue,
  });
  it('sums the weeks per department, in order', () => {
    expect(adoptionTotals([row('Marketing', '2026-11-16', 2, 1.2, 0), row('Sales', '2026-11-16', 0, 0, 1), row('Marketing', '2026-11-23', 3, 0.1, 1)])).toEqual([
      { department: 'Marketing', completions: 5, training_hours: 1.3, overdue: 1 },
      { department: 'Sales', completions: 0, training_hours: 0, overdue: 1 },
    ]);
  });
  it('counts days in UTC', () => {
    expect(isoDay(new Date('2026-11-30T23:30:00Z'), -84)).toBe('2026-09-07');
  });
});

const policy = (slug: string, acknowledged_at: string | null): Policy => ({
  slug, title: slug, summary: '', departments: [], version: 2, html: '', content_hash: '', published_at: '2026-11-01T00:00:00Z', acknowledged_at,
});

describe('policies', () => {
  it('lists the ones still to acknowledge', () => {
    expect(pending([policy('a', null), policy('b', '2026-11-02T00:00:00Z')]).map((p) => p.slug)).toEqual(['a']);
  });
  it('counts acknowledgements per policy', () => {
    const r = (policy: string, acknowledged: boolean) => ({ policy, policy_title: policy.toUpperCase(), acknowledged }) as PolicyReportRow;
    expect(policyTotals([r('a', true), r('a', false), r('b', false)])).toEqual([
      { policy: 'a', title: 'A', acknowledged: 1, total: 2 },
      { policy: 'b', title: 'B', acknowledged: 0, total: 1 },
    ]);
  });
  it('names export files by person and date', () => {
    const now = new Date('2026-11-30T10:00:00Z');
    expect(exportName('zip', now)).toBe('upskill-export-2026-11-30.zip');
    expect(exportName('json', now, 'Rosa Díaz')).toBe('upskill-export-rosa-d-az-2026-11-30.json');
  });
});
