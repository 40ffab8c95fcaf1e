import type { BenchRecord, Loader } from '../support/record';

/** Where a subject's Redis is: the bench's own server, or a port nothing listens on. */
/**
 * Every subject's TTL: longer than a whole bench run, so no entry expires while hits are
 * measured (with 60 s, every key reloaded once in the hit phase of 11 subjects).
 */
export const BENCH_TTL_SECONDS = 900;

export interface RedisTarget {
  host: string;
  port: number;
}

export type Tier = 'redis' | 'memory';

/** One library (or raw ioredis) put behind the same two calls. */
export interface Subject {
  /** Cache-aside read: the cached value, or `loader(key)`'s result, stored. */
  get(key: string, loader: Loader): Promise<BenchRecord>;
  /** Values of many keys in one call, where the library has such a call. */
  getMany?(
    keys: readonly string[],
    loader: (missing: string[]) => Promise<BenchRecord[]>,
  ): Promise<BenchRecord[]>;
  /** Resolves once writes sent in the background are done. */
  settle(): Promise<void>;
  /** Releases connections without waiting on a server that may be gone. */
  close(): Promise<void>;
}

export interface SubjectDefinition {
  readonly id: string;
  /** Name shown in the tables. */
  readonly label: string;
  readonly tier: Tier;
  /** Package whose version the report states (undefined for raw ioredis and plain Map). */
  readonly packageName?: string;
  /**
   * Builds the subject; `prefix` keeps its keys apart from every other subject's. Throws
   * `NotAvailable` when it cannot run here.
   */
  create(target: RedisTarget, prefix: string): Promise<Subject>;
}

/** A subject that cannot run in this checkout or on this machine; the reason goes in its row. */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable';
}

/**
 * Imports a peer from bench/node_modules. The specifier is a variable on purpose: the peers are
 * the bench's own dependencies (absent until `npm --prefix bench install` ran, e.g. when CI
 * typechecks the root), several are ESM-only, and their types are not part of the library's
 * build. Each subject declares the few members it uses as a local interface instead.
 */
export async function importPeer<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    throw new NotAvailable(`cannot load ${specifier}: ${(error as Error).message.split('\n')[0]}`);
  }
}
