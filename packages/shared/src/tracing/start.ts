import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { RolecallConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';

export interface Tracing {
  /** True once an SDK exports spans; AWS clients made after it is started get a traced HTTP handler. */
  readonly enabled: boolean;
  /** Exports the spans still buffered and stops; for the service's shutdown. */
  shutdown(): Promise<void>;
}

let enabled = false;
/** Whether this process records and exports spans (see `startTracing`). */
export const tracingEnabled = () => enabled;

const OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

/**
 * For a service's main.ts, before it creates its clients: when `tracing.otlpEndpoint` is set, registers
 * the OpenTelemetry SDK (an AsyncLocalStorage context, the W3C trace-context propagator, a tracer
 * provider exporting over OTLP/HTTP JSON to `<otlpEndpoint>/v1/traces` in batches). Unset, nothing is
 * started and the API's no-op tracer stays in place. A collector that is down costs nothing but the
 * dropped spans: export never blocks or fails a request.
 */
export function startTracing(config: Pick<RolecallConfig, 'tracing'>, service: string, log: Logger): Tracing {
  const { otlpEndpoint, sampleRatio, exportDelayMs } = config.tracing;
  if (!otlpEndpoint) return OFF;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const url = `${otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `rolecall-${service}` }),
    // A trace that arrives sampled (or not) from the gateway stays so; only new traces are sampled here.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url }),
        scheduledDelayMillis: exportDelayMs,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  log.info({ url, sampleRatio }, 'exporting traces over OTLP/HTTP');
  return {
    enabled: true,
    shutdown: async () => {
      await provider
        .shutdown()
        .catch((error: unknown) => log.warn({ err: error }, 'trace export at shutdown failed'));
    },
  };
}
