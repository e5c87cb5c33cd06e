import { Router } from 'express';
import type { Pool } from '../../core/db/pool.js';
import { queryWithSignal } from '../../core/db/query.js';

/** How long /ready waits for the database before saying it is not ready. */
const READY_TIMEOUT_MS = 2000;

/** `GET /health`: the process is up. `GET /ready`: it can serve tiles (database reachable). */
export function createHealthRouter({ pool }: { pool: Pool }): Router {
  const router = Router();
  router.get('/health', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await queryWithSignal(pool, 'SELECT 1', [], { signal: AbortSignal.timeout(READY_TIMEOUT_MS), what: 'checking readiness' });
      res.json({ status: 'ready', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });
  return router;
}
