import type { Principal } from '../../core/auth/api-token.js';
import type { AccessLevel } from '../../core/config/access-schema.js';
import type { AppConfig } from '../../core/config/load-config.js';

/**
 * Who may read what: each tileset has a level (`tilesets[].access`), each style its own
 * (`access.styles`) raised to the strictest of the tilesets it draws. A composite tileset
 * (`a,b`) is as strict as its strictest member and needs the grant of each restricted one.
 */

/** Strictness order: a thing is never less strict than what it is made of. */
const RANK: Readonly<Record<AccessLevel, number>> = { public: 0, internal: 1, restricted: 2 };

export function strictest(levels: Iterable<AccessLevel>): AccessLevel {
  let result: AccessLevel = 'public';
  for (const level of levels) if (RANK[level] > RANK[result]) result = level;
  return result;
}

/** What the caller may do with a resource: read it, or why not (401 without a valid token, 403 with one). */
export type AccessDecision = 'allow' | 'needs-token' | 'forbidden';

/** A resource as access control sees it: its level and the restricted tilesets a grant must cover. */
export interface ProtectedResource {
  readonly level: AccessLevel;
  /**
   * Tilesets a token needs a grant for (every one), when the level is restricted: the restricted
   * tilesets it reads; for a style restricted by `access.styles` whose tilesets are not, all of them.
   */
  readonly restrictedTilesets: readonly string[];
}

export class AccessPolicy {
  private readonly tilesetLevels: ReadonlyMap<string, AccessLevel>;
  private readonly styleLevels: ReadonlyMap<string, AccessLevel>;

  constructor(config: Pick<AppConfig, 'tilesets' | 'access'>) {
    this.tilesetLevels = new Map(config.tilesets.map((tileset) => [tileset.id, tileset.access]));
    this.styleLevels = new Map(Object.entries(config.access.styles));
  }

  /** Level of one tileset id; tilesets not configured (none are served) count as public. */
  tilesetLevel(id: string): AccessLevel {
    return this.tilesetLevels.get(id) ?? 'public';
  }

  /** A tileset path segment: one id or several joined by `,`. */
  tileset(tilesetPath: string): ProtectedResource {
    const ids = tilesetPath.split(',');
    const levels = ids.map((id) => this.tilesetLevel(id));
    return { level: strictest(levels), restrictedTilesets: ids.filter((id, i) => levels[i] === 'restricted') };
  }

  /** A style, from its id and the tilesets its sources use. */
  style(styleId: string, sourceTilesets: readonly string[]): ProtectedResource {
    const own = this.styleLevels.get(styleId) ?? 'public';
    const restrictedTilesets = sourceTilesets.filter((id) => this.tilesetLevel(id) === 'restricted');
    const level = strictest([own, ...sourceTilesets.map((id) => this.tilesetLevel(id))]);
    return { level, restrictedTilesets: level === 'restricted' && restrictedTilesets.length === 0 ? [...sourceTilesets] : restrictedTilesets };
  }

  /** Whether anything at all needs a token (when not, the fast path skips principal resolution). */
  get protectsAnything(): boolean {
    return [...this.tilesetLevels.values(), ...this.styleLevels.values()].some((level) => level !== 'public');
  }
}

/** The decision for a caller (null: no token was sent) and a resource. */
export function decide(principal: Principal | null, resource: ProtectedResource): AccessDecision {
  if (resource.level === 'public') return 'allow';
  if (!principal) return 'needs-token';
  if (resource.level === 'internal' || principal.role === 'admin') return 'allow';
  return resource.restrictedTilesets.every((id) => principal.tilesets.includes(id)) ? 'allow' : 'forbidden';
}
