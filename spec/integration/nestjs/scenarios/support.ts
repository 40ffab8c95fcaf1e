import { spawnSync } from 'node:child_process';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CacheAsideManager } from '../../../../lib';
import { getCacheAsideToken } from '../../../../lib/nestjs';

/**
 * What every scenario is given. Scenarios run in the jest process on Nest 11 and, compiled, in a
 * plain node process on Nest 12: they return plain data (JSON) that the spec asserts on.
 */
export interface ScenarioEnv {
  /** A redis-server the spec started for the scenario (it may start its own too). */
  readonly redisUrl: string;
  /** PostgreSQL, for the sample. */
  readonly databaseUrl: string;
  /** A key prefix of the scenario's own, under which everything it stores lives. */
  readonly prefix: string;
}

export type Scenario = (env: ScenarioEnv) => Promise<unknown>;

/** How a scenario's process marks the line that carries its report. */
export const REPORT_MARK = 'SCENARIO-REPORT ';

/** Runs a command through redis-cli against the server at `url`. */
export function cli(url: string, ...args: string[]): string {
  const { port } = new URL(url);
  const result = spawnSync('redis-cli', ['-p', port, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args[0]} failed: ${result.stderr}`);
  return result.stdout.trim();
}

export function connectedClients(url: string): number {
  return Number(/connected_clients:(\d+)/.exec(cli(url, 'INFO', 'clients'))?.[1]);
}

/**
 * Bounded wait until a manager's writes reach Redis at `url` under `prefix`: the module connects
 * the clients it creates once the application bootstrapped, so a first read may be served by
 * its loader (fail-open) while the connection is still opening.
 */
export async function untilStoring(
  manager: CacheAsideManager,
  url: string,
  prefix: string,
): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    await manager.set('probe', attempt);
    await manager.settle();
    if (cli(url, 'EXISTS', `${prefix}probe`) === '1') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the manager under ${prefix} did not store within 100 attempts`);
}

/** The manager registered under `name` in `app`. */
export function managerOf(app: INestApplicationContext, name?: string): CacheAsideManager {
  return app.get<CacheAsideManager>(getCacheAsideToken(name));
}

/** An HTTP application on a free loopback port. */
export async function startHttp(
  module: new () => unknown,
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** The message of what `promise` rejects with, or `'resolved'`. */
export async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
