import { createHash } from 'node:crypto';
import { Router } from 'express';
import { loadSandiaoClasses, type LandUseClass } from '../../core/classification/sandiao-classes.js';

/** One class as clients read it: code, names and the class colour (`#rrggbb`, or null where the standard gives none). */
export interface LandUseClassJson {
  readonly code: string;
  readonly name: string;
  readonly level1Code: string;
  readonly level1Name: string;
  readonly color: string | null;
}

/**
 * `GET /classes.json`: the 三调 land-use classes (DLBM code -> DLMC name, level-1 class,
 * colour) from data/reference/sandiao_classes.csv, so clients (the viewer's popups) name a
 * code the way the pipeline's QA and the styles do, without a copy of the table.
 */
export function createClassesRouter(classes: ReadonlyMap<string, LandUseClass> = loadSandiaoClasses()): Router {
  const body = JSON.stringify({ classes: [...classes.values()].map(toJson) });
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  const router = Router();
  router.get('/classes.json', (req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.setHeader('ETag', etag);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  });
  return router;
}

function toJson(landUseClass: LandUseClass): LandUseClassJson {
  const { code, name, level1Code, level1Name, rgb } = landUseClass;
  return { code, name, level1Code, level1Name, color: rgb ? `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}` : null };
}
