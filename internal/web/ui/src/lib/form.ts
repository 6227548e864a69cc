// Field errors of a form: the ones checked in the browser first, else the
// ones the API named, each with a readable message.

import { ApiError } from './problem';

export interface Missing {
  field: string;
  message: string;
}

export function toError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'Error', String(e));
}

/** The errors to show: local ones, else the API's fields (labelled). */
export function fieldErrors(local: Missing[], error: ApiError | null, labels: Record<string, string>): Missing[] {
  if (local.length) return local;
  return (error?.fields ?? []).map((f) => ({ field: f.field, message: `${labels[f.field] ?? f.field}: ${f.message}` }));
}

/** The token in a link's fragment (#token=…), which never reaches a server log. */
export function fragmentToken(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}
