// The HR pages' shapes (see api/openapi.yaml) and the logic they share:
// query strings, the assignment request a form makes, and the bar chart's
// geometry.

import type { User } from './session';

export interface Person extends User {
  disabled: boolean;
}

export interface Department {
  name: string;
  members: number;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  invited: number;
  ignored_columns: string[];
}

export interface AssignmentRow {
  id: string;
  user_id: string;
  module: string;
  due_at: string;
  assigned_at: string;
  status: string;
  overdue: boolean;
}

export interface Rule {
  id: string;
  department: string;
  module: string;
  due_in_days: number;
  grace_days: number;
  created_at: string;
  created_by: string | null;
}

export interface AssignResult {
  assigned: number;
  already_assigned: number;
  blocked_by_prerequisites: number;
}

export interface CompletionRow {
  employee_id: string | null;
  email: string;
  name: string;
  department: string;
  module: string;
  module_title: string;
  revision: number | null;
  status: string;
  progress_percent: number;
  best_score: number | null;
  attempts: number;
  assigned_at: string | null;
  due_at: string | null;
  overdue: boolean;
  completed_at: string | null;
  record_id: string | null;
  expires_at: string | null;
}

export interface SummaryGroup {
  key: string;
  assigned: number;
  started: number;
  completed: number;
  completion_rate: number;
  average_score: number | null;
  overdue: number;
  learning_hours: number;
}

export type Params = Record<string, string | number | boolean | null | undefined>;

/** "?a=1&b=x" from the parameters that have a value; "" when none has. */
export function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface AssignForm {
  module: string;
  /** "department": to departments; "people": to chosen people. */
  target: 'department' | 'people';
  departments: string[];
  /** A department typed in, e.g. one nobody is in yet, for a standing rule. */
  newDepartment: string;
  userIds: string[];
  /** "date": due on a date; "days": due some days from now; "rule": a standing rule. */
  due: 'date' | 'days' | 'rule';
  dueDate: string; // YYYY-MM-DD, the end of that day where the person is
  dueInDays: string;
  graceDays: string;
}

/** A field the browser finds wrong before asking the API. */
export interface Missing {
  field: string;
  message: string;
}

/** The POST /assignments body a form makes, or what is missing from the form. */
export function assignRequest(f: AssignForm): { body: Record<string, unknown> | null; missing: Missing[] } {
  const missing: Missing[] = [];
  if (!f.module) missing.push({ field: 'module', message: 'Choose a module' });
  const departments = [...f.departments];
  const typed = f.newDepartment.trim();
  if (typed && !departments.some((d) => d.toLowerCase() === typed.toLowerCase())) departments.push(typed);
  if (f.target === 'department' && departments.length === 0) missing.push({ field: 'departments', message: 'Choose at least one department' });
  if (f.target === 'people' && f.userIds.length === 0) missing.push({ field: 'user_ids', message: 'Choose at least one person' });
  if (f.target === 'people' && f.due === 'rule') missing.push({ field: 'due', message: 'A standing rule is for departments: choose departments' });
  const body: Record<string, unknown> = { module: f.module };
  if (f.target === 'department') body.departments = departments;
  else body.user_ids = f.userIds;
  if (f.due === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(f.dueDate)) missing.push({ field: 'due_at', message: 'Enter the due date' });
    else body.due_at = new Date(`${f.dueDate}T23:59:59`).toISOString();
  } else {
    const days = Number(f.dueInDays);
    if (!Number.isInteger(days) || days < 1 || days > 3650) missing.push({ field: 'due_in_days', message: 'Enter a whole number of days from 1 to 3650' });
    else body.due_in_days = days;
    if (f.due === 'rule') body.include_new_members = true;
  }
  if (f.graceDays.trim() !== '') {
    const g = Number(f.graceDays);
    if (!Number.isInteger(g) || g < 0 || g > 3650) missing.push({ field: 'grace_days', message: 'Enter a whole number of days from 0 to 3650' });
    else body.grace_days = g;
  }
  return { body: missing.length ? null : body, missing };
}

export interface Bar {
  key: string;
  value: number;
  label: string;
  y: number;
  width: number;
}

/**
 * The bars of a horizontal bar chart: one per group, in order, each as
 * wide as its share of the largest value (of max when given, e.g. 1 for
 * rates) across width pixels, rowHeight pixels apart.
 */
export function bars(groups: { key: string; value: number; label: string }[], width: number, rowHeight: number, max?: number): Bar[] {
  const top = max ?? Math.max(0, ...groups.map((g) => g.value));
  return groups.map((g, i) => ({
    ...g,
    y: i * rowHeight,
    width: top > 0 ? Math.max(0, Math.min(1, g.value / top)) * width : 0,
  }));
}

export const statusLabels: Record<string, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  completed: 'Completed',
  expired: 'Expired',
  overdue: 'Overdue',
};
