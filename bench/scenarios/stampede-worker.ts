/**
 * One of the processes of the cross-process stampede (started by scenarios/stampede.ts).
 * Requests, one JSON object per line on stdin:
 *   { cmd: 'setup', id, prefix }                                  builds that subject
 *   { cmd: 'go', id, key, counterKey, concurrency, loaderMs }     the stampede, sent to every worker at once
 * Closing stdin closes the subjects and exits.
 */
import '../support/built-library'; // first: the library below loads from dist/ (see built-library.ts)
import { createInterface } from 'node:readline';
import { subjectById } from '../subjects';
import type { Subject } from '../subjects/subject';
import { quietErrors, redisClient } from '../support/clients';
import { MESSAGE_MARK } from '../support/children';
import { reasonOf } from '../support/harness';
import { stampede } from './stampede-load';

interface Request {
  cmd: 'setup' | 'go';
  id: string;
  prefix?: string;
  key?: string;
  counterKey?: string;
  concurrency?: number;
  loaderMs?: number;
}

const target = { host: '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT) };
const counter = quietErrors(redisClient(target));
const subjects = new Map<string, Subject>();
const reply = (message: object): void => {
  process.stdout.write(`${MESSAGE_MARK}${JSON.stringify(message)}\n`);
};

async function handle(request: Request): Promise<void> {
  if (request.cmd === 'setup') {
    try {
      subjects.set(request.id, await subjectById(request.id).create(target, request.prefix!));
      reply({ ok: true });
    } catch (error) {
      reply({ ok: false, reason: reasonOf(error) });
    }
    return;
  }
  const subject = subjects.get(request.id);
  if (!subject) {
    reply({ ok: false, reason: `subject ${request.id} was not set up` });
    return;
  }
  const { errors } = await stampede(
    subject,
    counter,
    request.key!,
    request.counterKey!,
    request.concurrency!,
    request.loaderMs!,
  );
  reply({ ok: true, errors });
}

async function main(): Promise<void> {
  // Requests are handled one after another: the parent waits for each reply before the next.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim()) await handle(JSON.parse(line) as Request);
  }
  await Promise.allSettled([...subjects.values()].map((s) => s.close()));
  counter.disconnect();
  process.exit(0);
}

void main();
