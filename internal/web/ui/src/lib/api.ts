// The one API client of the app: typed JSON calls to /api/v1 with the
// session's access token, problem+json errors as ApiError, and one refresh
// and retry after a 401.

import { ApiError, networkError, toApiError } from './problem';
import type { Session } from './session';

export interface RequestOptions {
  body?: unknown;
  /** Send the access token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
  /** A body sent as it is (a CSV file), with its content type, instead of JSON. */
  raw?: { body: Blob | string; type: string };
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

export class Api {
  constructor(
    private readonly session: Session,
    private readonly fetchFn: typeof fetch = (...a) => fetch(...a),
    private readonly base = '/api/v1',
  ) {}

  get<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('GET', path, opts);
  }
  post<T>(path: string, body: unknown = {}, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', path, { ...opts, body });
  }
  put<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('PUT', path, { ...opts, body });
  }
  patch<T>(path: string, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('PATCH', path, { ...opts, body });
  }
  /** POSTs a file as it is (body and content type) and reads the JSON answer. */
  upload<T>(path: string, body: Blob | string, type: string, opts: RequestOptions = {}): Promise<T> {
    return this.json<T>('POST', path, { ...opts, raw: { body, type } });
  }
  delete(path: string, opts: RequestOptions = {}): Promise<void> {
    return this.json<void>('DELETE', path, opts);
  }

  /** Every page of a list, following next_cursor. */
  async all<T>(path: string, opts: RequestOptions = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor = '';
    for (let i = 0; i < 100; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.get<Page<T>>(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, opts);
      out.push(...page.items);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    return out;
  }

  /** A binary body (a PDF certificate, a report). */
  async blob(path: string, opts: RequestOptions = {}): Promise<Blob> {
    const res = await this.send('GET', path, opts, '*/*');
    return res.blob();
  }

  private async json<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const res = await this.send(method, path, opts, 'application/json');
    // 204, and a 202 with no body (forgot-password), carry nothing.
    const text = res.status === 204 ? '' : await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(method: string, path: string, opts: RequestOptions, accept: string): Promise<Response> {
    const auth = opts.auth ?? true;
    const attempt = async (token: string | null): Promise<Response> => {
      const headers: Record<string, string> = { Accept: accept };
      if (opts.raw) headers['Content-Type'] = opts.raw.type;
      else if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      if (token) headers.Authorization = `Bearer ${token}`;
      try {
        return await this.fetchFn(this.base + path, {
          method,
          headers,
          body: opts.raw ? opts.raw.body : opts.body === undefined ? undefined : JSON.stringify(opts.body),
          credentials: 'same-origin',
          signal: opts.signal,
        });
      } catch (e) {
        throw networkError(e);
      }
    };
    const token = auth ? await this.session.accessToken() : null;
    if (auth && !token) throw signedOut();
    let res = await attempt(token);
    if (res.status === 401 && auth) {
      // Once: the token may have been revoked or the clock skewed.
      if (!(await this.session.refresh(token))) throw signedOut();
      res = await attempt(this.session.token);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }
}

function signedOut(): ApiError {
  return new ApiError(401, 'Signed out', 'Your session has ended. Sign in again to continue.');
}
