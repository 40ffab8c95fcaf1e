/**
 * Serializer bench: bytes stored, and encode / decode time per value, for each built-in
 * serializer on a typical ~1 KB record (with and without Dates) and a ~100 KB list of records.
 * Decoding is what a cache hit pays, so each row also gives it as a ratio to a bare
 * `JSON.parse` of the same value's plain JSON (which does not restore Dates).
 *
 *   npx tsx bench/serializers.ts        prints the Markdown table
 *   runSerializerBench()                returns it (used by bench/main.ts)
 */
import './support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { performance } from 'node:perf_hooks';
import {
  ClassTransformerSerializer,
  CompressedSerializer,
  JsonSerializer,
  MsgpackSerializer,
  type Serializer,
} from '../lib';

class Address {
  street!: string;
  city!: string;
  zip!: string;
  country!: string;
}

class Entity {
  id!: number;
  uuid!: string;
  name!: string;
  email!: string;
  active!: boolean;
  score!: number;
  tags!: string[];
  @Type(() => Address)
  address!: Address;
  bio!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

/** About 1 KB of JSON: the shape of a typical row with a nested object, a list and two dates. */
function entity(i: number, withDates: boolean): Entity | Record<string, unknown> {
  const fields = {
    id: i,
    uuid: `4f1c2d3e-5a6b-4c7d-8e9f-${String(i).padStart(12, '0')}`,
    name: `Customer number ${i}`,
    email: `customer.${i}@example.test`,
    active: i % 3 !== 0,
    score: 1000 + i * 1.25,
    tags: ['reader', 'writer', 'beta', 'eu-west', `cohort-${i % 7}`],
    address: Object.assign(new Address(), {
      street: `${i} Analytical Engine Lane`,
      city: 'London',
      zip: 'NW1 2DB',
      country: 'GB',
    }),
    bio: 'Enjoys long walks through well-indexed tables and short round trips to Redis. '.repeat(8),
  };
  if (!withDates)
    return {
      ...fields,
      // eslint-disable-next-line @typescript-eslint/no-misused-spread -- a plain copy without Address's prototype is the point: the JSON shape
      address: { ...fields.address },
      createdAt: '2024-03-01T12:00:00.000Z',
      updatedAt: '2024-03-02T08:30:00.000Z',
    };
  return Object.assign(new Entity(), fields, {
    createdAt: new Date(Date.UTC(2024, 2, 1, 12)),
    updatedAt: new Date(Date.UTC(2024, 2, 2, 8, 30)),
  });
}

interface Workload {
  readonly name: string;
  readonly value: unknown;
  /** Iterations per timed batch (sized so that a batch takes a few milliseconds). */
  readonly iterations: number;
}

interface Row {
  workload: string;
  serializer: string;
  bytes: number;
  encodeUs: number;
  decodeUs: number;
  decodeVsParse: number;
}

const BATCHES = 7;

/** Median time per call, in µs, over BATCHES batches of `iterations` calls (after a warm-up batch). */
function timePerCall(run: () => unknown, iterations: number): number {
  const perCall: number[] = [];
  for (let batch = -1; batch < BATCHES; batch++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) run();
    if (batch >= 0) perCall.push(((performance.now() - t0) * 1000) / iterations);
  }
  perCall.sort((a, b) => a - b);
  return perCall[perCall.length >> 1];
}

function serializersFor(): Array<[string, Serializer]> {
  return [
    ['JsonSerializer', new JsonSerializer()],
    ['MsgpackSerializer', new MsgpackSerializer()],
    ['ClassTransformerSerializer', new ClassTransformerSerializer(Entity)],
    ['Compressed gzip+json', new CompressedSerializer(new JsonSerializer())],
    [
      'Compressed brotli+json',
      new CompressedSerializer(new JsonSerializer(), { algorithm: 'brotli' }),
    ],
    ['Compressed gzip+msgpack', new CompressedSerializer(new MsgpackSerializer())],
  ];
}

function measure(workload: Workload, name: string, serializer: Serializer, parseUs: number): Row {
  const encoded = serializer.serialize(workload.value);
  // The manager hands deserialize a Buffer (a view of the Redis reply).
  const payload = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
  serializer.deserialize(payload); // fails loudly here rather than inside the timing loop
  const encodeUs = timePerCall(() => serializer.serialize(workload.value), workload.iterations);
  const decodeUs = timePerCall(() => serializer.deserialize(payload), workload.iterations);
  return {
    workload: workload.name,
    serializer: name,
    bytes: payload.length,
    encodeUs,
    decodeUs,
    decodeVsParse: decodeUs / parseUs,
  };
}

/** The baseline a hit is compared with: `JSON.parse` of plain JSON (Dates stay strings). */
function bareParse(workload: Workload): Row {
  const text = JSON.stringify(workload.value);
  const payload = Buffer.from(text, 'utf8');
  const encodeUs = timePerCall(() => JSON.stringify(workload.value), workload.iterations);
  const decodeUs = timePerCall(() => JSON.parse(payload.toString('utf8')), workload.iterations);
  return {
    workload: workload.name,
    serializer: 'bare JSON.parse / stringify',
    bytes: payload.length,
    encodeUs,
    decodeUs,
    decodeVsParse: 1,
  };
}

function format(rows: readonly Row[]): string {
  const us = (n: number): string =>
    n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  const lines = [
    '| workload | serializer | bytes stored | encode µs | decode µs | decode ÷ JSON.parse |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${r.serializer} | ${r.bytes.toLocaleString('en-US')} | ${us(r.encodeUs)} | ${us(r.decodeUs)} | ${r.decodeVsParse.toFixed(2)}× |`,
    ),
  ];
  return lines.join('\n');
}

/** Runs every serializer on every workload and returns the Markdown table. */
export async function runSerializerBench(): Promise<string> {
  const workloads: Workload[] = [
    { name: 'record ~1 KB, no Date', value: entity(1, false), iterations: 2000 },
    { name: 'record ~1 KB, 2 Dates', value: entity(1, true), iterations: 2000 },
    {
      name: 'list ~100 KB (100 records)',
      value: Array.from({ length: 100 }, (_, i) => entity(i, true)),
      iterations: 40,
    },
  ];
  const rows: Row[] = [];
  for (const workload of workloads) {
    const baseline = bareParse(workload);
    rows.push(baseline);
    for (const [name, serializer] of serializersFor()) {
      // ClassTransformerSerializer is for class instances: skip the plain-object workload.
      if (
        serializer instanceof ClassTransformerSerializer &&
        !(workload.value instanceof Entity || Array.isArray(workload.value))
      )
        continue;
      rows.push(measure(workload, name, serializer, baseline.decodeUs));
      await new Promise((resolve) => setImmediate(resolve)); // let a caller's timers and I/O run between rows
    }
  }
  return format(rows);
}

if (require.main === module) {
  runSerializerBench().then(
    (table) => {
      console.log(`Serializers, Node ${process.version} (median of ${BATCHES} batches per cell)\n`);
      console.log(table);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
