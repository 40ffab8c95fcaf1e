import type { Codec } from '../entry/codec';
import type { ProcessTier } from '../l1/process-tier';
import type { RedisGateway } from '../redis/redis-gateway';
import type { Serializer } from '../serializers/serializer';
import type { BackgroundTasks } from './background-tasks';
import type { EntryReader } from './entry-reader';
import type { EntryWriter } from './entry-writer';
import type { Invalidator } from './invalidator';
import type { Leases } from './leases';
import type { LeasingReads } from './leasing-reads';
import type { SingleFlight } from './single-flight';
import type { Telemetry } from './telemetry';

/** A loader as the manager calls it: with the (unprefixed) key. */
export type Loader<T> = (key: string) => T | Promise<T>;

/**
 * The collaborators one manager's parts share (the read path, the miss path, batch reads,
 * background refreshes), built once by the manager. Each part takes what it needs from here
 * instead of reaching into the manager.
 */
export interface CacheCore {
  readonly keyPrefix: string;
  readonly gateway: RedisGateway;
  readonly telemetry: Telemetry;
  readonly background: BackgroundTasks;
  readonly writer: EntryWriter;
  readonly reader: EntryReader;
  readonly leases: Leases;
  /** Whether a `get`'s read also takes the lease, and that read (see `leasing-reads.ts`). */
  readonly leasingReads: LeasingReads;
  readonly invalidator: Invalidator;
  /** Loads in flight in this process, one per key. */
  readonly flights: SingleFlight;
  /** The codec of a call's serializer (checked once), or the manager's when it gives none. */
  codecOf(serializer: Serializer | undefined): Codec;
  /** The in-process tier (a no-op one when `l1` is off). */
  readonly local: ProcessTier;
}
