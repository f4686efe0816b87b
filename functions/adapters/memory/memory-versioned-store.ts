import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Page, PageRequest, Versioned, VersionedStore } from '../../core/ports/admin.ts';

/** `VersionedStore` in memory, for unit tests of the admin use cases: same versions and conflicts as the DynamoDB one. */
export class MemoryVersionedStore<T> implements VersionedStore<T> {
  readonly items = new Map<string, Versioned<T>>();

  async get(id: string): Promise<Versioned<T> | null> {
    return this.items.get(id) ?? null;
  }

  async list(page: PageRequest): Promise<Page<Versioned<T>>> {
    const ids = [...this.items.keys()].sort();
    const start = page.cursor ? ids.indexOf(page.cursor) + 1 : 0;
    const slice = ids.slice(start, start + page.limit);
    const more = start + page.limit < ids.length;
    return { items: slice.map((id) => this.items.get(id) as Versioned<T>), cursor: more ? (slice.at(-1) ?? null) : null };
  }

  async create(id: string, value: T, at: string): Promise<Versioned<T>> {
    if (this.items.has(id)) throw new ConflictError(`${id} exists already`);
    const stored: Versioned<T> = { value, version: 1, updatedAt: at, managedBy: 'api' };
    this.items.set(id, stored);
    return stored;
  }

  async replace(id: string, value: T, expectedVersion: number, at: string): Promise<Versioned<T>> {
    this.atVersion(id, expectedVersion);
    const stored: Versioned<T> = { value, version: expectedVersion + 1, updatedAt: at, managedBy: 'api' };
    this.items.set(id, stored);
    return stored;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    this.atVersion(id, expectedVersion);
    this.items.delete(id);
  }

  private atVersion(id: string, expectedVersion: number): void {
    const current = this.items.get(id);
    if (!current) throw new NotFoundError(`${id} not found`);
    if (current.version !== expectedVersion) throw new ConflictError(`${id} is at version ${current.version}, not ${expectedVersion}`);
  }
}
