// The app's single session and API client, wired to the browser.

import { Api } from './api';
import { Session, type Channel, type Lock } from './session';

const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
const lock: Lock | undefined = locks ? <T,>(name: string, fn: () => Promise<T>) => locks.request(name, fn) as Promise<T> : undefined;
const channel: Channel | null = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('upskill-session') : null;

export const session = new Session({ fetch: (...a) => fetch(...a), lock, channel });
export const api = new Api(session);
