/**
 * The workload's value: a JSON record of about 1 KB, the same shape for every key so that every
 * library encodes and decodes the same bytes.
 */
export interface BenchRecord {
  id: string;
  name: string;
  email: string;
  active: boolean;
  score: number;
  createdAt: string;
  tags: string[];
  address: { street: string; city: string; zip: string; country: string };
  bio: string;
}

export type Loader = (key: string) => BenchRecord | Promise<BenchRecord>;

export const RECORD_BYTES = 1024;

const BASE: Omit<BenchRecord, 'id' | 'bio'> = {
  name: 'Ada Example',
  email: 'ada@example.test',
  active: true,
  score: 4711.25,
  createdAt: '2024-03-01T12:00:00.000Z',
  tags: ['reader', 'writer', 'admin', 'beta', 'eu-west'],
  address: { street: '12 Analytical Engine Lane', city: 'London', zip: 'NW1 2DB', country: 'GB' },
};

/** A record whose JSON encoding is exactly RECORD_BYTES long (for ids up to 24 characters). */
export function recordFor(key: string): BenchRecord {
  const id = key.length > 24 ? key.slice(-24) : key;
  const shell = JSON.stringify({ id: id.padEnd(24, '.'), ...BASE, bio: '' });
  return {
    id: id.padEnd(24, '.'),
    ...BASE,
    bio: 'x'.repeat(RECORD_BYTES - Buffer.byteLength(shell)),
  };
}

/** A loader that returns at once and counts its calls. */
export function countingLoader(): { loader: Loader; calls: () => number } {
  let calls = 0;
  return {
    loader: (key) => {
      calls++;
      return recordFor(key);
    },
    calls: () => calls,
  };
}
