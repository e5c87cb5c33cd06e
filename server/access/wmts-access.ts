import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { StyleInfo } from '../styles/style-catalog.js';
import { privateCacheControl, type AccessControl } from './access-control.js';

/**
 * The access hooks of the WMTS router (server/wmts/wmts-router.ts): capabilities list only the
 * layers (styles) the caller may read; a GetTile of a layer it may not read is 401/403 before
 * anything is rendered, and a protected tile is `private` to shared caches. The router copies
 * `?token=` into every advertised URL (`passThroughParameters`), so a desktop GIS given a
 * capabilities URL with a token sends it with each tile.
 */
export function wmtsAccessHooks(access: AccessControl, styles: () => readonly StyleInfo[]) {
  return {
    visibleStyles: async (req: Request, res: Response, styles: readonly StyleInfo[]): Promise<readonly StyleInfo[]> => {
      const caller = await access.caller(req, res);
      return styles.filter((style) => access.mayRead(caller, access.policy.style(style.id, style.sourceTilesets)));
    },
    authorizeLayer: async (req: Request, res: Response, layerId: string, cacheControl: string): Promise<string> => {
      const tilesets = styles().find((style) => style.id === layerId)?.sourceTilesets ?? [];
      return authorizeStyle(access, req, res, layerId, tilesets, 'wmts.read', cacheControl);
    },
  };
}

/** Checks a read of a style's output (style.json, raster tile, WMTS tile); returns the Cache-Control to send. */
export async function authorizeStyle(
  access: AccessControl,
  req: IncomingMessage,
  res: ServerResponse,
  styleId: string,
  sourceTilesets: readonly string[],
  action: string,
  cacheControl: string,
): Promise<string> {
  const resource = access.policy.style(styleId, sourceTilesets);
  if (resource.level === 'public') return cacheControl;
  await access.authorize(req, res, resource, { action, target: `style:${styleId}` });
  return privateCacheControl(cacheControl);
}
