import { afterEach, describe, expect, it } from 'vitest';
import { Session, REFRESH_MARGIN_MS } from './session';
import { FakeServer, sharedLock } from './testserver';

const channels: BroadcastChannel[] = [];
function tab(server: FakeServer, lock = sharedLock(), clock = { t: 1_000_000 }, timers: (() => void)[] = []) {
  const channel = new BroadcastChannel('upskill-test');
  channels.push(channel);
  const s = new Session({
    fetch: server.fetch,
    now: () => clock.t,
    lock,
    channel,
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => {},
    askMs: 30,
  });
  return s;
}
afterEach(() => {
  while (channels.length) channels.pop()!.close();
});
const tick = () => new Promise((r) => setTimeout(r, 80));

describe('Session', () => {
  it('signs in with a cookie session and keeps the token in memory', async () => {
    const server = new FakeServer();
    const s = tab(server);
    const user = await s.login('ada@example.com', 'right');
    expect(user.name).toBe('Ada');
    expect(s.token).toBe('at1');
    expect(JSON.parse(server.calls[0].body!)).toEqual({ email: 'ada@example.com', password: 'right', session: 'cookie' });
  });

  it('rejects a wrong password with the API problem', async () => {
    const s = tab(new FakeServer());
    await expect(s.login('ada@example.com', 'wrong')).rejects.toMatchObject({ status: 401, detail: 'wrong email or password' });
    expect(s.signedIn).toBe(false);
  });

  it('refreshes before expiry, not on every call', async () => {
    const server = new FakeServer();
    const clock = { t: 1_000_000 };
    const s = tab(server, sharedLock(), clock);
    await s.login('a', 'right');
    expect(await s.accessToken()).toBe('at1');
    expect(server.refreshes).toBe(0);
    clock.t += 900_000 - REFRESH_MARGIN_MS / 4; // nearly expired
    expect(await s.accessToken()).toBe('at2');
    expect(server.refreshes).toBe(1);
  });

  it('schedules the refresh a minute before the token expires', async () => {
    const server = new FakeServer();
    const timers: (() => void)[] = [];
    const s = tab(server, sharedLock(), { t: 0 }, timers);
    await s.login('a', 'right');
    expect(timers).toHaveLength(1);
    timers[0]();
    await tick();
    expect(server.refreshes).toBe(1);
    expect(s.token).toBe('at2');
  });

  it('restores a session from the cookie when no other tab is open', async () => {
    const server = new FakeServer();
    await tab(server).login('a', 'right');
    channels.pop()!.close(); // that tab is closed
    const fresh = tab(server);
    expect(await fresh.accessToken()).toBe('at2');
    expect(fresh.user?.email).toBe('ada@example.com');
    expect(server.refreshes).toBe(1);
  });

  it('a new tab takes the token of an open one without spending the cookie', async () => {
    const server = new FakeServer();
    await tab(server).login('a', 'right');
    const fresh = tab(server);
    expect(await fresh.accessToken()).toBe('at1');
    expect(server.refreshes).toBe(0);
  });

  it('answers null without a cookie', async () => {
    const s = tab(new FakeServer());
    expect(await s.accessToken()).toBeNull();
  });

  it('makes one refresh for concurrent callers in one tab', async () => {
    const server = new FakeServer();
    const s = tab(server);
    await s.login('a', 'right');
    const stale = s.token;
    await Promise.all([s.refresh(stale), s.refresh(stale), s.refresh(stale)]);
    expect(server.refreshes).toBe(1);
  });

  it('makes one refresh across tabs: the others take the new token', async () => {
    const server = new FakeServer();
    const lock = sharedLock();
    const a = tab(server, lock);
    const b = tab(server, lock);
    await a.login('a', 'right');
    await tick(); // b hears of a's token
    expect(b.token).toBe('at1');
    const stale = 'at1';
    const results = await Promise.all([a.refresh(stale), b.refresh(stale)]);
    expect(results).toEqual([true, true]);
    expect(server.refreshes).toBe(1);
    await tick();
    expect(a.token).toBe(b.token);
  });

  it('signing out in one tab signs out the others', async () => {
    const server = new FakeServer();
    const a = tab(server);
    const b = tab(server);
    await a.login('a', 'right');
    await tick();
    let told = 0;
    b.subscribe(() => told++);
    await a.logout();
    await tick();
    expect(server.logouts).toBe(1);
    expect(a.signedIn).toBe(false);
    expect(b.signedIn).toBe(false);
    expect(told).toBe(1);
  });

  it('keeps the session when a refresh fails for a server reason', async () => {
    const server = new FakeServer();
    const s = tab(server);
    await s.login('a', 'right');
    server.refreshFails = 503;
    await expect(s.refresh()).rejects.toMatchObject({ status: 503, retryable: true });
    expect(s.signedIn).toBe(true);
  });

  it('ends the session when the refresh is refused', async () => {
    const server = new FakeServer();
    const s = tab(server);
    await s.login('a', 'right');
    server.cookie = null;
    expect(await s.refresh()).toBe(false);
    expect(s.signedIn).toBe(false);
  });
});
