import type { OnApplicationShutdown } from '@nestjs/common';
import type { CacheManagerPort } from '../index';
import { registerFallback } from './static-fallback';

/**
 * One manager registered by one `CacheAsideModule` import in one application: its name and the
 * manager behind its token (the module's own, or a test's override). Created while Nest
 * instantiates the application, so decorated objects outside the application's providers work
 * from then on through the process-wide registry; the explorer finds these registrations to
 * bind the application's own providers to its own managers.
 */
export class CacheAsideRegistration implements OnApplicationShutdown {
  private readonly withdraw: () => void;

  constructor(
    readonly name: string,
    readonly manager: CacheManagerPort,
  ) {
    this.withdraw = registerFallback(name, manager);
  }

  onApplicationShutdown(): void {
    this.withdraw();
  }
}
