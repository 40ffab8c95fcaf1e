import { CacheInterceptor, type CacheManagerPort } from '../index';

/**
 * The process-wide registry (`CacheInterceptor.use`) serves decorated objects that no
 * application binds: instances made with `new`, code outside Nest. Each application that starts
 * registers its managers there too; when several run in one process (e2e suites), the one
 * started last serves those objects, and when it closes the registry goes back to the newest
 * application still running. When the last one closes, its managers leave the registry: a call
 * then says that no manager is registered, rather than reaching a closed manager. A manager that
 * the code registered itself in the meantime (`CacheInterceptor.use`) is never replaced.
 */
const live = new Map<string, Array<{ readonly manager: CacheManagerPort }>>();

/** Registers `manager` under `name`; the returned function withdraws it (once). */
export function registerFallback(name: string, manager: CacheManagerPort): () => void {
  const entry = { manager };
  let stack = live.get(name);
  if (stack === undefined) live.set(name, (stack = []));
  stack.push(entry);
  CacheInterceptor.use(manager, name);
  let withdrawn = false;
  return () => {
    if (withdrawn) return;
    withdrawn = true;
    const current = live.get(name) ?? [];
    const index = current.indexOf(entry);
    if (index >= 0) current.splice(index, 1);
    if (current.length === 0) live.delete(name);
    // Only while this application's manager is the registered one: whatever came since stays.
    if (!CacheInterceptor.forget(manager, name)) return;
    const newest = current.at(-1);
    if (newest !== undefined) CacheInterceptor.use(newest.manager, name);
  };
}
