import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { CacheInterceptor } from '../index';
import { CacheAsideExplorer } from './cache-aside.explorer';

/**
 * Runs each HTTP request of the application in the application's manager scope: providers that
 * Nest creates per request (request scope, or transient over a request-scoped dependency) exist
 * only after bootstrap, so no binding reaches them; their calls, and those of objects made with
 * `new` while the request is handled, take the application's managers from the request's async
 * context instead of the process-wide registry. Applied to every route by the module.
 */
@Injectable()
export class RequestScopeMiddleware implements NestMiddleware {
  constructor(@Inject(CacheAsideExplorer) private readonly explorer: CacheAsideExplorer) {}

  use(_request: unknown, _response: unknown, next: (error?: unknown) => void): void {
    const scope = this.explorer.requestScope;
    if (scope === undefined) {
      next();
      return;
    }
    CacheInterceptor.runInScope(scope, () => {
      next();
    });
  }
}
