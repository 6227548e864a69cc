// One paged list of the API: the first page, then "show more" with
// next_cursor, and the error of whichever call failed.

import { api } from '../lib/app';
import type { Page } from '../lib/api';

export class Pager<T> {
  items = $state<T[]>([]);
  next = $state('');
  loading = $state(false);
  loaded = $state(false);
  error = $state<unknown>(null);
  private path = '';

  constructor(private readonly size = 50) {}

  /** Loads the first page of path (which may carry filters). */
  async reset(path: string): Promise<void> {
    this.path = path;
    this.items = [];
    this.next = '';
    this.loaded = false;
    await this.fetch('');
  }

  /** Loads the page after the last one shown. */
  async more(): Promise<void> {
    if (this.next) await this.fetch(this.next);
  }

  private async fetch(cursor: string): Promise<void> {
    this.loading = true;
    this.error = null;
    const sep = this.path.includes('?') ? '&' : '?';
    try {
      const page = await api.get<Page<T>>(`${this.path}${sep}limit=${this.size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      this.items = [...this.items, ...page.items];
      this.next = page.next_cursor;
      this.loaded = true;
    } catch (e) {
      this.error = e;
    } finally {
      this.loading = false;
    }
  }

  /** Replaces one item (after an action on it). */
  replace(match: (t: T) => boolean, next: T): void {
    this.items = this.items.map((t) => (match(t) ? next : t));
  }
}
