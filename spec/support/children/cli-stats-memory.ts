import { runCli } from '../../../lib/cli/run-cli';

/**
 * Runs `cache-aside stats --json` in a process of its own and reports how long it took and how
 * far the heap rose above its level before the run (sampled every 5 ms, after a GC when Node
 * runs with --expose-gc) and what stayed alive after a GC every 200 ms, as one JSON line on stdout.
 */
async function main(): Promise<void> {
  const [url, prefix] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  let peakRetained = before.heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  }, 5);
  // What the run keeps alive (garbage collected first): the figure that shows memory is flat.
  const retained = setInterval(() => {
    gc?.();
    peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed);
  }, 200);
  let output = '';
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const code = await runCli(['stats', '--json', '--url', url, '--prefix', prefix], {
    stdout: (text) => (output += text.toString()),
    stderr: () => undefined,
    stderrIsTty: false,
    env: {},
  });
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  clearInterval(retained);
  process.stdout.write(
    JSON.stringify({
      code,
      elapsedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      heapBefore: before.heapUsed,
      heapGrowth: peakHeap - before.heapUsed,
      retainedGrowth: peakRetained - before.heapUsed,
      rssGrowth: peakRss - before.rss,
      output,
    }) + '\n',
  );
}

void main();
