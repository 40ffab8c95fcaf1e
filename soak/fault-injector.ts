import type { RedisServer } from '../spec/support/redis-server';
import { adminCommand } from './admin';
import { nowMs, sleep } from './clock';
import type { FaultRelay } from './fault-relay';
import type { Random } from './random';
import { masterPorts, waitForCluster, type Topology } from './topology';

import type { FaultKind } from './fault-kinds';

export type { FaultKind } from './fault-kinds';

/** One injected fault, with the times (soak clock, ms) it was active. */
export interface FaultRecord {
  kind: FaultKind;
  /** 'all' or the index of the one worker whose connections it hit, or a node's port. */
  target: string;
  start: number;
  end: number;
}

const WEIGHTS: ReadonlyArray<[FaultKind, number, boolean]> = [
  // kind, weight, cluster only
  ['stall', 4, false],
  ['reset', 2, false],
  ['refuse', 2, false],
  ['kill-restart', 1, false],
  ['oom', 2, false],
  ['master-kill', 2, true],
];

/** Longest wait for a Cluster failover or resync before the soak reports it and goes on. */
const CLUSTER_RECOVERY_MS = 30_000;

/**
 * Injects one fault at a time, each bounded in time, separated by quiet gaps, until `until`
 * (soak clock) or `stop()`. Every fault is undone before the next starts and before `run`
 * resolves, so the tail of the run is fault-free.
 */
export class FaultInjector {
  readonly log: FaultRecord[] = [];
  private stopping = false;

  constructor(
    private readonly topology: Topology,
    private readonly random: Random,
    private readonly print: (line: string) => void,
    private readonly origin: number,
    private readonly allowed: readonly FaultKind[],
  ) {}

  stop(): void {
    this.stopping = true;
  }

  /** Read through a method: `stop()` flips it while `run` awaits. */
  private isStopping(): boolean {
    return this.stopping;
  }

  async run(until: number): Promise<void> {
    const kinds = WEIGHTS.filter(
      ([kind, , clusterOnly]) =>
        this.allowed.includes(kind) && (!clusterOnly || this.topology.cluster),
    );
    if (kinds.length === 0) return;
    const total = kinds.reduce((sum, [, w]) => sum + w, 0);
    // Bounded by count as well as time: a fault plus its gap lasts at least a second.
    for (let n = 0; n < 10_000 && !this.stopping; n++) {
      await sleep(this.random.between(3000, 6000));
      if (this.isStopping() || nowMs() >= until) break;
      let roll = this.random.next() * total;
      const kind = kinds.find(([, w]) => (roll -= w) < 0)?.[0] ?? 'stall';
      await this.inject(kind);
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const hold = this.random.between(500, 3000);
    const start = nowMs();
    let target = 'all';
    switch (kind) {
      case 'stall':
      case 'refuse': {
        const relays = this.pickRelays();
        target = relays.target;
        for (const r of relays.list) {
          if (kind === 'stall') r.stall();
          else r.refuse();
        }
        await this.hold(hold);
        for (const r of relays.list) {
          if (kind === 'stall') r.release();
          else r.restore();
        }
        break;
      }
      case 'reset': {
        const relays = this.pickRelays();
        target = relays.target;
        for (const r of relays.list) r.reset();
        break;
      }
      case 'kill-restart': {
        const node = this.random.pick(this.topology.nodes);
        target = `:${node.port}`;
        await node.kill();
        await this.hold(Math.min(hold, 2000));
        await node.restart();
        if (this.topology.cluster) await this.awaitCluster();
        break;
      }
      case 'oom': {
        const ports = this.topology.cluster
          ? await masterPorts(this.topology.nodes)
          : [this.topology.nodes[0]?.port ?? 0];
        target = ports.map((p) => `:${p}`).join(',');
        await Promise.all(ports.map((p) => this.setMaxMemory(p, '1')));
        await this.hold(hold);
        await Promise.all(ports.map((p) => this.setMaxMemory(p, '0')));
        break;
      }
      case 'master-kill': {
        const ports = await masterPorts(this.topology.nodes);
        const port = ports.length > 0 ? this.random.pick(ports) : undefined;
        const node = this.topology.nodes.find((n) => n.port === port);
        if (!node) break;
        target = `:${node.port}`;
        await node.kill();
        await this.awaitCluster(node.port);
        // Restarted on its port with its nodes.conf, it rejoins as a replica of the promoted one.
        await node.restart();
        await this.awaitCluster();
        break;
      }
    }
    const record: FaultRecord = { kind, target, start, end: nowMs() };
    this.log.push(record);
    this.print(
      `fault ${kind.padEnd(12)} ${target.padEnd(18)} ` +
        `${this.secs(record.start)} .. ${this.secs(record.end)} s`,
    );
  }

  private secs(t: number): string {
    return ((t - this.origin) / 1000).toFixed(2).padStart(7);
  }

  /** Waits `ms`, cut short (to 100 ms steps) when the soak is stopping. */
  private async hold(ms: number): Promise<void> {
    const until = nowMs() + ms;
    while (nowMs() < until && !this.stopping) await sleep(Math.min(100, until - nowMs()));
  }

  private pickRelays(): { target: string; list: FaultRelay[] } {
    const { relays } = this.topology;
    if (this.random.next() < 0.3) return { target: 'all', list: relays.flat() };
    const worker = this.random.int(0, relays.length - 1);
    return { target: `worker ${worker}`, list: [...(relays[worker] ?? [])] };
  }

  private async setMaxMemory(port: number, bytes: string): Promise<void> {
    try {
      await adminCommand(port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await adminCommand(port, 'CONFIG', 'SET', 'maxmemory', bytes);
    } catch (error) {
      this.print(`fault oom: CONFIG SET on :${port} failed (${String(error)})`);
    }
  }

  private async awaitCluster(skipPort?: number): Promise<void> {
    const nodes: readonly RedisServer[] = this.topology.nodes;
    if (!(await waitForCluster(nodes, CLUSTER_RECOVERY_MS, skipPort)))
      this.print(`cluster did not recover within ${CLUSTER_RECOVERY_MS} ms (reported, going on)`);
  }
}
