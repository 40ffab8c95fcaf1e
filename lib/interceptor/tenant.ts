import { CacheTypeError } from '../errors/cache-type-error';
import { describe } from '../errors/invalid-argument';
import type { TenantFunction } from '../metadata/cache-metadata';
import { encodeKeySegment } from './stable-encoding';

/**
 * The tenant's head of one call's keys and tags: `@` + the tenant id as an encoded key segment +
 * `:`. An encoded segment holds no `:` and no glob character, and an encoded namespace never
 * starts with `@`, so tenant `acme` never reaches the keys of `acme:eu`, nor of another class.
 */
export type TenantHead = (thisArg: unknown, args: readonly unknown[]) => string;

/** The head builder of a class's `tenant` function; `what` names it for messages. */
export function tenantHead(tenant: TenantFunction, what: string): TenantHead {
  return (thisArg, args) => {
    const id: unknown = tenant.apply(thisArg, args as unknown[]);
    if (typeof id !== 'string' || id.length === 0) {
      throw new CacheTypeError(
        'ERR_CACHE_ASIDE_INVALID_ARGUMENT',
        `${what} returned ${describe(id)}; it must return the tenant's id, a non-empty string.`,
      );
    }
    return `@${encodeKeySegment(id)}:`;
  };
}

/** Tags confined to one tenant: invalidating them in one tenant leaves the others' entries. */
export function tenantTags(tags: readonly string[], head: string): string[] {
  return tags.map((tag) => head + tag);
}
