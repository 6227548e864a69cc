import { describe, expect, it } from 'vitest';
import { Api } from './api';
import { ApiError } from './problem';
import { Session } from './session';
import { FakeServer } from './testserver';

async function signedIn() {
  const server = new FakeServer();
  const session = new Session({ fetch: server.fetch, setTimer: () => 0, clearTimer: () => {} });
  await session.login('ada@example.com', 'right');
  return { server, session, api: new Api(session, server.fetch) };
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('the call succeeded');
}

describe('Api', () => {
  it('sends the bearer token and JSON', async () => {
    const { server, api } = await signedIn();
    const got = await api.put<{ path: string }>('/modules/x/lessons/y/progress', { completed: true, seconds_spent: 3 });
    expect(got.path).toBe('/api/v1/modules/x/lessons/y/progress');
    const call = server.calls.at(-1)!;
    expect(call.auth).toBe('Bearer at1');
    expect(JSON.parse(call.body!)).toEqual({ completed: true, seconds_spent: 3 });
  });

  it('refreshes once after a 401 and completes the call', async () => {
    const { server, api } = await signedIn();
    server.valid.clear(); // the server no longer takes the token
    const got = await api.get<{ ok: boolean }>('/me');
    expect(got.ok).toBe(true);
    expect(server.refreshes).toBe(1);
    expect(server.calls.at(-1)!.auth).toBe('Bearer at2');
  });

  it('does not loop when the refreshed token is refused too', async () => {
    const { server, api } = await signedIn();
    server.valid = new (class extends Set<string> {
      has() {
        return false; // every token refused, even a fresh one
      }
    })();
    await expect(api.get('/me')).rejects.toMatchObject({ status: 401 });
    expect(server.refreshes).toBe(1);
  });

  it('reads problem+json with field errors', async () => {
    const { api } = await signedIn();
    const err = await failure(api.get('/bad'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.detail).toBe('email is required');
    expect(err.fieldMessage('email')).toBe('required');
    expect(err.requestId).toBe('r1');
    expect(err.retryable).toBe(false);
  });

  it('uploads a file as it is and reads every bad line', async () => {
    const { server, api } = await signedIn();
    const err = await failure(api.upload('/lines', 'email,name\nnope,X\n', 'text/csv'));
    const call = server.calls.at(-1)!;
    expect(call.type).toBe('text/csv');
    expect(call.body).toBe('email,name\nnope,X\n');
    expect(err.lines).toEqual([
      { line: 3, message: 'email is not valid' },
      { line: 7, message: 'name is required' },
    ]);
    expect(err.extra.problem_count).toBe(2);
  });

  it('turns a 5xx without JSON into a retryable error', async () => {
    const { api } = await signedIn();
    const err = await failure(api.get('/boom'));
    expect(err.status).toBe(502);
    expect(err.retryable).toBe(true);
  });

  it('turns a network failure into a retryable error', async () => {
    const { session } = await signedIn();
    const api = new Api(session, async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = await failure(api.get('/me'));
    expect(err.status).toBe(0);
    expect(err.retryable).toBe(true);
  });

  it('calls public routes without a token', async () => {
    const server = new FakeServer();
    const session = new Session({ fetch: server.fetch });
    const api = new Api(session, server.fetch);
    server.valid.add('');
    await api.get('/records/x/verify', { auth: false });
    expect(server.calls.at(-1)!.auth).toBeNull();
    expect(server.refreshes).toBe(0);
  });

  it('says signed out when there is no session', async () => {
    const server = new FakeServer();
    const api = new Api(new Session({ fetch: server.fetch }), server.fetch);
    await expect(api.get('/me')).rejects.toMatchObject({ status: 401 });
  });
});
