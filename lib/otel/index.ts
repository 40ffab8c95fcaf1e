/**
 * `cache-aside/otel`: OpenTelemetry metrics and spans for every cache-aside manager, read from
 * the library's diagnostics channels. Loaded only when this subpath is imported; needs
 * `@opentelemetry/api` (an optional peer dependency).
 */
export { enableOpenTelemetry, INSTRUMENTATION_SCOPE } from './enable-open-telemetry';
export type { OpenTelemetryOptions } from './open-telemetry-options';
