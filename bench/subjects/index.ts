import { bentocacheMemory, bentocacheRedis } from './bentocache';
import { cacheAsideDecorated, cacheAsideManager, cacheAsideUncoalesced } from './cache-aside';
import { cacheManagerIoredisYet, cacheManagerKeyvRedis, cacheManagerMemory } from './cache-manager';
import { cacheAsideL1, plainMap } from './memory';
import { cacheAsideDecoratedNodeRedis, cacheAsideNodeRedis, rawNodeRedis } from './node-redis';
import { rawIoredis } from './raw-ioredis';
import type { SubjectDefinition } from './subject';
import { typeCacheableMemory, typeCacheableRedis } from './type-cacheable';

/** Redis-tier subjects, the baseline first. */
export const REDIS_SUBJECTS: readonly SubjectDefinition[] = [
  rawIoredis,
  cacheAsideManager,
  cacheAsideDecorated,
  cacheAsideUncoalesced,
  cacheManagerKeyvRedis,
  cacheManagerIoredisYet,
  bentocacheRedis,
  typeCacheableRedis,
];

/**
 * node-redis: its raw client (the other baseline) and cache-aside on it, in the hit and miss
 * scenarios, where their ratios to both raw clients are reported.
 */
export const NODE_REDIS_SUBJECTS: readonly SubjectDefinition[] = [
  rawNodeRedis,
  cacheAsideNodeRedis,
  cacheAsideDecoratedNodeRedis,
];

/** In-process subjects, the plain Map first. */
export const MEMORY_SUBJECTS: readonly SubjectDefinition[] = [
  plainMap,
  cacheAsideL1,
  cacheManagerMemory,
  bentocacheMemory,
  typeCacheableMemory,
];

export function subjectById(id: string): SubjectDefinition {
  const found = [...REDIS_SUBJECTS, ...NODE_REDIS_SUBJECTS, ...MEMORY_SUBJECTS].find(
    (s) => s.id === id,
  );
  if (!found) throw new Error(`unknown bench subject "${id}"`);
  return found;
}
