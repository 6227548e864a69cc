// The shapes and the logic of the readiness pages (see api/openapi.yaml):
// a learner's pulse form, the readiness report's table and chart for HR,
// the adoption report's totals, and the manager's team.

export interface WaitingPulse {
  slug: string;
  title: string;
  phase: 'before' | 'after';
  scale: string[];
  items: { id: string; text: string }[];
}

export interface ReadinessItem {
  id: string;
  text: string;
  before_mean: number | null;
  after_mean: number | null;
  change: number | null;
}

export interface ReadinessGroup {
  key: string;
  respondents_before: number;
  respondents_after: number;
  respondents_both: number;
  suppressed: boolean;
  items: ReadinessItem[];
}

export interface ReadinessReport {
  pulse: string;
  title: string;
  revision: number;
  group_by: 'department';
  min_respondents: number;
  total: ReadinessGroup;
  groups: ReadinessGroup[];
}

export interface AdoptionRow {
  department: string;
  week: string;
  completions: number;
  training_hours: number;
  readiness_change: number | null;
  readiness_suppressed: boolean;
  respondents_before: number;
  respondents_after: number;
  average_feedback: number | null;
  feedback_count: number;
  overdue: number;
}

export interface AdoptionReport {
  from: string;
  to: string;
  min_respondents: number;
  rows: AdoptionRow[];
}

export interface TeamAssignment {
  module: string;
  module_title: string;
  path: string | null;
  due_at: string;
  assigned_at: string;
  status: string;
  overdue: boolean;
}

export interface TeamMember {
  id: string;
  name: string;
  email: string;
  department: string;
  overdue_count: number;
  assignments: TeamAssignment[];
}

/** What a suppressed group shows instead of its figures. */
export const HIDDEN = 'fewer than 5 people — hidden to protect privacy';

/**
 * The POST /pulses/{slug}/responses body from the answers chosen so far
 * (statement id → 1–5), or the statements still without an answer (their
 * field names as the API names them: answers.<id>).
 */
export function pulseRequest(
  pulse: WaitingPulse,
  chosen: Record<string, number | undefined>,
): { body: { phase: string; answers: Record<string, number> } | null; missing: { field: string; message: string }[] } {
  const answers: Record<string, number> = {};
  const missing: { field: string; message: string }[] = [];
  pulse.items.forEach((item, i) => {
    const v = chosen[item.id];
    if (v === undefined || !Number.isInteger(v) || v < 1 || v > 5) {
      missing.push({ field: `answers.${item.id}`, message: `Statement ${i + 1}: choose an answer from 1 to 5` });
    } else answers[item.id] = v;
  });
  return { body: missing.length ? null : { phase: pulse.phase, answers }, missing };
}

/** A mean to two decimals, or "—" when there is none. */
export function mean(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toFixed(2);
}

/** A change with its sign ("+0.40", "−0.25", "0.00"), or "—". */
export function change(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (Math.abs(n) < 0.005) return '0.00';
  return (n > 0 ? '+' : '−') + Math.abs(n).toFixed(2);
}

/** The mean of a group's statements' means of one phase (null when none is shown). */
export function overall(g: ReadinessGroup, phase: 'before' | 'after'): number | null {
  const xs = g.items.map((i) => (phase === 'before' ? i.before_mean : i.after_mean)).filter((x): x is number => x !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/**
 * The readiness chart's bars: per group, the mean "after" answer over every
 * statement (on the 1–5 scale; the table beside it has the before figure);
 * a suppressed group gets an empty bar labelled "hidden", a group nobody
 * answered after training yet an empty one labelled "—".
 */
export function readinessBars(groups: ReadinessGroup[]): { key: string; value: number; label: string }[] {
  return groups.map((g) => {
    const key = g.key || '(no department)';
    if (g.suppressed) return { key, value: 0, label: 'hidden' };
    const after = overall(g, 'after');
    return { key, value: after ?? 0, label: after === null ? '—' : after.toFixed(2) };
  });
}

export interface DepartmentTotals {
  department: string;
  completions: number;
  training_hours: number;
  overdue: number;
}

/** The adoption report's rows summed per department, in the rows' order. */
export function adoptionTotals(rows: AdoptionRow[]): DepartmentTotals[] {
  const out = new Map<string, DepartmentTotals>();
  for (const r of rows) {
    const t = out.get(r.department) ?? { department: r.department, completions: 0, training_hours: 0, overdue: 0 };
    t.completions += r.completions;
    t.training_hours = Math.round((t.training_hours + r.training_hours) * 10) / 10;
    t.overdue += r.overdue;
    out.set(r.department, t);
  }
  return [...out.values()];
}

/** YYYY-MM-DD of a date in UTC, days after (or before, when negative) it. */
export function isoDay(d: Date, days = 0): string {
  return new Date(d.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
