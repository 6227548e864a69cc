// Dates and durations in the reader's own locale.

const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

export function date(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateFmt.format(d);
}

const DAY = 86_400_000;

/** "overdue", "due soon" (within 7 days) or "" for an assignment's due date. */
export function dueState(dueAt: string | null | undefined, overdue: boolean, now = Date.now()): 'overdue' | 'soon' | '' {
  if (overdue) return 'overdue';
  if (!dueAt) return '';
  const t = new Date(dueAt).getTime();
  return t - now <= 7 * DAY ? 'soon' : '';
}

export function minutes(n: number): string {
  return n === 1 ? '1 minute' : `${n} minutes`;
}
