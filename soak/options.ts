import { FAULT_KINDS, type FaultKind } from './fault-kinds';

/** What `npm run soak -- …` accepts. */
export interface SoakOptions {
  /** How long traffic and faults run, in seconds (then a quiet tail and the report). */
  seconds: number;
  /** A Cluster of 3 masters + 3 replicas instead of one standalone redis-server. */
  cluster: boolean;
  /** Worker processes, each with its own client and its own fault relay. */
  processes: number;
  seed: number;
  /** Which faults may be injected (default: all that apply to the topology). */
  faults: readonly FaultKind[];
}

export const SOAK_USAGE =
  'usage: npm run soak -- [--seconds 120] [--cluster] [--processes 4] [--seed N] ' +
  `[--faults ${FAULT_KINDS.join(',')}]`;

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = {
    seconds: 120,
    cluster: false,
    processes: 4,
    seed: Date.now() % 1_000_000,
    faults: FAULT_KINDS,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): number => {
      i++;
      const n = i < argv.length ? Number(argv[i]) : NaN;
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`[cache-aside soak] ${flag} needs a whole number; ${SOAK_USAGE}`);
      return n;
    };
    switch (flag) {
      case '--seconds':
        options.seconds = value();
        break;
      case '--cluster':
        options.cluster = true;
        break;
      case '--processes':
        options.processes = value();
        break;
      case '--seed':
        options.seed = value();
        break;
      case '--faults': {
        i++;
        const kinds = (i < argv.length ? argv[i] : '').split(',');
        const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
        if (unknown.length > 0)
          throw new Error(`[cache-aside soak] unknown fault ${unknown.join(',')}; ${SOAK_USAGE}`);
        options.faults = kinds as FaultKind[];
        break;
      }
      default:
        throw new Error(`[cache-aside soak] unknown argument ${flag}; ${SOAK_USAGE}`);
    }
  }
  if (options.seconds < 5 || options.seconds > 3600)
    throw new Error(`[cache-aside soak] --seconds must be within 5..3600; ${SOAK_USAGE}`);
  if (options.processes < 2 || options.processes > 16)
    throw new Error(`[cache-aside soak] --processes must be within 2..16; ${SOAK_USAGE}`);
  return options;
}
