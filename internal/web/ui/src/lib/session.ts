// The browser session: the access token lives in this module's memory
// only; the refresh token is an HttpOnly cookie the script never sees.
// Refreshes happen shortly before the token expires and once after a 401,
// one at a time across every tab of the app (Web Locks where the browser
// has them), and a tab that refreshes hands the new access token to the
// others over a BroadcastChannel, so they need not spend the cookie too.
// Signing out in one tab signs out all of them.

import { networkError, toApiError } from './problem';

export interface User {
  id: string;
  email: string;
  name: string;
  department: string;
  employee_id: string | null;
  roles: string[];
  created_at: string;
}

interface TokenBody {
  access_token: string;
  expires_in: number;
  user: User;
}

export interface Channel {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  close(): void;
}

export type Lock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export interface SessionDeps {
  fetch: typeof fetch;
  now?: () => number;
  /** Runs fn while holding a lock shared by every tab; in-tab only when absent. */
  lock?: Lock;
  channel?: Channel | null;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** How long to wait for another tab to hand over its token before spending the cookie. */
  askMs?: number;
}

type Message = { type: 'token'; token: string; expiresAt: number; user: User } | { type: 'signout' } | { type: 'ask' };

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;
const LOCK_NAME = 'upskill-refresh';

export class Session {
  token: string | null = null;
  expiresAt = 0;
  user: User | null = null;

  private readonly deps: Required<Omit<SessionDeps, 'lock' | 'channel'>> & Pick<SessionDeps, 'lock' | 'channel'>;
  private inflight: Promise<boolean> | null = null;
  private timer: unknown = null;
  private readonly listeners = new Set<() => void>();
  private waiters: (() => void)[] = [];

  constructor(deps: SessionDeps) {
    this.deps = {
      now: () => Date.now(),
      askMs: 150,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...deps,
    };
    this.deps.channel?.addEventListener('message', (ev) => this.onMessage(ev.data as Message));
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  /** Calls fn after every change of the signed-in state; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async login(email: string, password: string): Promise<User> {
    return this.open('/api/v1/auth/login', { email, password, session: 'cookie' });
  }

  /** Accepts an invitation: the chosen password, and signed in. */
  async acceptInvite(token: string, password: string): Promise<User> {
    return this.open('/api/v1/auth/accept-invite', { token, password, session: 'cookie' });
  }

  private async open(path: string, req: unknown): Promise<User> {
    const res = await this.post(path, req);
    if (!res.ok) throw await toApiError(res);
    const body = (await res.json()) as TokenBody;
    this.adopt(body.access_token, body.expires_in, body.user, true);
    return body.user;
  }

  /** An access token valid for at least a little longer, refreshing first when needed. */
  async accessToken(): Promise<string | null> {
    if (this.token && this.expiresAt - this.deps.now() > REFRESH_MARGIN_MS / 2) return this.token;
    if (!this.token && !this.user) {
      // Not signed in in this tab: the cookie may still hold a session.
      await this.refresh(null);
      return this.token;
    }
    await this.refresh(this.token);
    return this.token;
  }

  /**
   * Trades the cookie for a new access token. stale is the token the caller
   * found wanting: when another call or tab has replaced it meanwhile, no
   * request is made. Resolves false when the session has ended (401);
   * rejects with an ApiError on network and server failures, keeping the
   * session, so the page can offer a retry.
   */
  refresh(stale: string | null = this.token): Promise<boolean> {
    if (this.inflight) return this.inflight;
    const run = async (): Promise<boolean> => {
      if (this.fresher(stale) || (await this.askOthers(stale))) return true;
      const res = await this.post('/api/v1/auth/refresh', {});
      if (res.ok) {
        const body = (await res.json()) as TokenBody;
        this.adopt(body.access_token, body.expires_in, body.user, true);
        return true;
      }
      if (res.status === 401 || res.status === 400) {
        this.clear(false);
        return false;
      }
      throw await toApiError(res);
    };
    const lock = this.deps.lock;
    this.inflight = (lock ? lock(LOCK_NAME, run) : run()).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Ends the session here and in every other tab. */
  async logout(): Promise<void> {
    try {
      await this.post('/api/v1/auth/logout', {});
    } finally {
      this.clear(true);
    }
  }

  private fresher(stale: string | null): boolean {
    return this.token !== null && this.token !== stale && this.expiresAt - this.deps.now() > REFRESH_MARGIN_MS / 2;
  }

  /**
   * Asks the other tabs for their token and waits briefly for an answer:
   * a tab that has just refreshed (or a new tab next to a signed-in one)
   * then needs no refresh of its own, and the cookie is spent only once.
   */
  private askOthers(stale: string | null): Promise<boolean> {
    const ch = this.deps.channel;
    if (!ch || this.deps.askMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(this.fresher(stale));
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(this.fresher(stale));
      }, this.deps.askMs);
      this.waiters.push(done);
      ch.postMessage({ type: 'ask' } satisfies Message);
    });
  }

  private async post(path: string, body: unknown): Promise<Response> {
    try {
      return await this.deps.fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch (e) {
      throw networkError(e);
    }
  }

  private adopt(token: string, expiresIn: number, user: User, broadcast: boolean): void {
    this.setToken(token, this.deps.now() + expiresIn * 1000, user);
    if (broadcast) this.deps.channel?.postMessage({ type: 'token', token, expiresAt: this.expiresAt, user } satisfies Message);
  }

  private setToken(token: string, expiresAt: number, user: User): void {
    this.token = token;
    this.expiresAt = expiresAt;
    this.user = user;
    this.schedule();
    this.emit();
  }

  private schedule(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    const lifetime = this.expiresAt - this.deps.now();
    const wait = Math.max(lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2), 1000);
    const token = this.token;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      this.refresh(token).catch(() => {
        // A failure here is retried by the next request that needs the token.
      });
    }, wait);
  }

  private clear(broadcast: boolean): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
    const was = this.token !== null || this.user !== null;
    this.token = null;
    this.expiresAt = 0;
    this.user = null;
    if (broadcast) this.deps.channel?.postMessage({ type: 'signout' } satisfies Message);
    if (was || broadcast) this.emit();
  }

  private onMessage(m: Message): void {
    if (m?.type === 'signout') {
      this.clear(false);
    } else if (m?.type === 'token' && m.token !== this.token && m.expiresAt >= this.expiresAt) {
      this.setToken(m.token, m.expiresAt, m.user);
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    } else if (m?.type === 'ask' && this.token && this.expiresAt - this.deps.now() > REFRESH_MARGIN_MS / 2 && this.user) {
      this.deps.channel?.postMessage({ type: 'token', token: this.token, expiresAt: this.expiresAt, user: this.user } satisfies Message);
    }
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
