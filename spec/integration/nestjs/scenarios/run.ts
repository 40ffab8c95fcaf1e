/**
 * Runs one scenario in a process of its own (Nest 12: compiled to CommonJS under
 * spec/nest-compat/build, where `@nestjs/*` resolve to Nest 12, loaded through require(esm)).
 * SCENARIO names it; REDIS_URL, DATABASE_URL and KEY_PREFIX are its environment. Prints one
 * line, `SCENARIO-REPORT <json>`, and then lets the process end by itself: a handle left open
 * by the application keeps it alive, and the spec's deadline reports that.
 */
import { SCENARIOS } from './index';
import { REPORT_MARK } from './support';

async function main(): Promise<void> {
  const name = process.env.SCENARIO ?? '';
  if (!Object.hasOwn(SCENARIOS, name)) throw new Error(`no scenario named "${name}"`);
  const report = await SCENARIOS[name]({
    redisUrl: process.env.REDIS_URL ?? '',
    databaseUrl: process.env.DATABASE_URL ?? '',
    prefix: process.env.KEY_PREFIX ?? '',
  });
  console.log(REPORT_MARK + JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
