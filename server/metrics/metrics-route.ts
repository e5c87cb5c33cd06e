import { Router } from 'express';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics`: the Prometheus text exposition. Labels hold no request text or tokens
 * (server-metrics.ts), so it can be scraped without authentication on the internal network;
 * put it behind the proxy's access rules when the server is reachable from outside.
 */
export function createMetricsRouter({ registry }: { registry: Registry }): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    try {
      const body = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(body);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
