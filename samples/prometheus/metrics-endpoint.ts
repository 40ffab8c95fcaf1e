import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { enableOpenTelemetry } from '../../lib/otel';

export interface MetricsEndpoint {
  /** What Prometheus scrapes, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  readonly meterProvider: MeterProvider;
  /** Stops reporting, closes the HTTP endpoint. */
  close(): Promise<void>;
}

/**
 * The whole wiring: an OpenTelemetry MeterProvider whose reader is the Prometheus exporter (it
 * serves `/metrics` itself, on loopback unless told otherwise), and cache-aside reporting to it.
 * Every CacheAsideManager of the process shows up there, created before or after this call.
 */
export async function startMetricsEndpoint(
  port = 9464,
  host = '127.0.0.1',
): Promise<MetricsEndpoint> {
  const exporter = new PrometheusExporter({ host, port, preventServerStart: true });
  await exporter.startServer();
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const disable = enableOpenTelemetry({ meterProvider });
  return {
    url: `http://${host}:${port}/metrics`,
    meterProvider,
    async close() {
      disable();
      await meterProvider.shutdown(); // shuts the exporter, and so its HTTP server, down too
    },
  };
}
