// The policies a person is asked to acknowledge (see api/openapi.yaml),
// and the file names the privacy page saves an export under.

export interface Policy {
  slug: string;
  title: string;
  summary: string;
  departments: string[];
  version: number;
  html: string;
  content_hash: string;
  published_at: string;
  acknowledged_at: string | null;
}

export interface PolicyReportRow {
  employee_id: string | null;
  email: string;
  name: string;
  department: string;
  policy: string;
  policy_title: string;
  version: number;
  acknowledged: boolean;
  acknowledged_at: string | null;
  acknowledged_version: number | null;
  published_at: string;
}

/** The policies still waiting for the person's acknowledgement of their current version. */
export function pending(policies: Policy[]): Policy[] {
  return policies.filter((p) => !p.acknowledged_at);
}

/** Acknowledged or not, per policy, over a report's rows: {policy, title, acknowledged, total}. */
export function policyTotals(rows: PolicyReportRow[]): { policy: string; title: string; acknowledged: number; total: number }[] {
  const out = new Map<string, { policy: string; title: string; acknowledged: number; total: number }>();
  for (const r of rows) {
    const t = out.get(r.policy) ?? { policy: r.policy, title: r.policy_title, acknowledged: 0, total: 0 };
    t.total++;
    if (r.acknowledged) t.acknowledged++;
    out.set(r.policy, t);
  }
  return [...out.values()];
}

/** The file an export is saved as: upskill-export[-who]-YYYY-MM-DD.json|zip. */
export function exportName(format: 'json' | 'zip', now: Date, who = ''): string {
  const safe = who.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `upskill-export${safe ? `-${safe}` : ''}-${now.toISOString().slice(0, 10)}.${format}`;
}
