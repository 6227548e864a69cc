// Filters of a list route as its query string.

/** A query string of the filters that are set. */
export function query(filters: Record<string, string>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v.trim()) q.set(k, v.trim());
  const s = q.toString();
  return s ? `?${s}` : '';
}
