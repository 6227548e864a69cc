// A fake upskill auth API for the unit tests: it keeps one refresh cookie,
// rotates it on every refresh and counts calls, so tests can see how many
// refreshes the client really made.

export class FakeServer {
  cookie: string | null = null;
  seq = 0;
  refreshes = 0;
  logouts = 0;
  /** Tokens the protected route accepts. */
  valid = new Set<string>();
  /** Next status refresh answers instead of rotating (e.g. 503). */
  refreshFails: number | null = null;
  calls: { method: string; path: string; auth: string | null; body: string | null; type: string | null }[] = [];
  user = { id: 'u1', email: 'ada@example.com', name: 'Ada', department: 'Marketing', employee_id: null, roles: ['learner'], created_at: '2026-01-01T00:00:00Z' };

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const path = String(input);
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : null;
    this.calls.push({ method, path, auth: headers.get('Authorization'), body, type: headers.get('Content-Type') });
    if (path === '/api/v1/auth/login') {
      const b = JSON.parse(body ?? '{}');
      if (b.password !== 'right') return problem(401, 'Unauthorized', 'wrong email or password');
      this.cookie = `rt${++this.seq}`;
      return this.tokens();
    }
    if (path === '/api/v1/auth/refresh') {
      this.refreshes++;
      if (this.refreshFails !== null) {
        const s = this.refreshFails;
        this.refreshFails = null;
        return problem(s, 'Service Unavailable', 'try later');
      }
      if (!this.cookie) return problem(401, 'Unauthorized', 'no session');
      this.cookie = `rt${++this.seq}`;
      return this.tokens();
    }
    if (path === '/api/v1/auth/logout') {
      this.logouts++;
      this.cookie = null;
      return new Response(null, { status: 204 });
    }
    const tok = headers.get('Authorization')?.replace('Bearer ', '') ?? '';
    if (!this.valid.has(tok)) return problem(401, 'Unauthorized', 'token expired');
    if (path === '/api/v1/bad') {
      return new Response(
        JSON.stringify({ type: 'urn:upskill:problem:invalid', title: 'Unprocessable Entity', status: 422, detail: 'email is required', request_id: 'r1', errors: [{ field: 'email', message: 'required' }] }),
        { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
      );
    }
    if (path === '/api/v1/lines') {
      return new Response(
        JSON.stringify({ type: 'urn:upskill:problem:invalid', title: 'Unprocessable Entity', status: 422, detail: '2 problems', request_id: 'r2', problem_count: 2, errors: [{ line: 3, message: 'email is not valid' }, { line: 7, message: 'name is required' }] }),
        { status: 422, headers: { 'Content-Type': 'application/problem+json' } },
      );
    }
    if (path === '/api/v1/boom') return new Response('oops', { status: 502, headers: { 'Content-Type': 'text/plain' } });
    return Response.json({ ok: true, path });
  };

  private tokens(): Response {
    const token = `at${this.seq}`;
    this.valid.add(token);
    return Response.json({ access_token: token, token_type: 'Bearer', expires_in: 900, user: this.user });
  }
}

function problem(status: number, title: string, detail: string): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title, status, detail, request_id: 'r' }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

/** A lock shared by the "tabs" of one test, like navigator.locks. */
export function sharedLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(_name: string, fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
