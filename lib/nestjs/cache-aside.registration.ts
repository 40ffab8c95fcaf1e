import type { OnApplicationShutdown } from '@nestjs/common';
import type { CacheManagerPort } from '../index';
import { registerFallback } from './static-fallback';

/**
 * One manager registered by one `CacheAsideModule` import in one application: its name and the
 * manager behind its token (the module's own, or a test's override). The explorer finds these
 * registrations to bind the application's own providers to its own managers, and once the
 * application passed its checks it activates them: from then on decorated objects outside the
 * application's providers use them through the process-wide registry. An application whose
 * bootstrap fails before (a missing manager, a misplaced interceptor) leaves the registry as it
 * was.
 */
export class CacheAsideRegistration implements OnApplicationShutdown {
  private withdraw: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly manager: CacheManagerPort,
  ) {}

  /** Registers the manager process-wide (once). */
  activate(): void {
    this.withdraw ??= registerFallback(this.name, this.manager);
  }

  onApplicationShutdown(): void {
    this.withdraw?.();
    this.withdraw = undefined;
  }
}
