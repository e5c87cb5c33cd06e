import { parseArgs } from 'node:util';
import { roles, type ApiToken, type Role } from '../../core/auth/api-token.js';
import { writeAudit } from '../../core/auth/audit-log.js';
import { parseExpiry } from '../../core/auth/token-expiry.js';
import { createToken, listTokens, revokeToken, tokenState } from '../../core/auth/token-store.js';
import type { AppConfig } from '../../core/config/load-config.js';
import { loadConfig } from '../../core/config/load-config.js';
import { cliUser, withCliDatabase, type CommandExits } from './cli-database.js';
import { textTable } from './text-table.js';

export const TOKENS_USAGE = `  tokens create --name <name> --role admin|editor|viewer [--county <code>]... [--tileset <id>]...
                [--expires 30d|12h|2027-06-30] [--json]
                                a new API token; its secret is printed once, only its hash is kept
                                (editor: the counties whose datasets it imports and rolls back;
                                --tileset: restricted tilesets it may read)
  tokens list [--json]          the tokens, without secrets
  tokens revoke <id>            the token answers 401 from now on`;

/** `npm run cli -- tokens ...`. */
export async function runTokensCommand(args: readonly string[], exits: CommandExits): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        county: { type: 'string', multiple: true },
        tileset: { type: 'string', multiple: true },
        expires: { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean' },
      },
    });
  } catch (error) {
    return usage(exits, (error as Error).message);
  }
  const { positionals, values } = parsed;
  if (values.help) {
    console.log(`Usage:\n${TOKENS_USAGE}`);
    return exits.ok;
  }
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) return usage(exits, `unexpected argument "${extra[0]}"`);
  const optionsGiven = ['name', 'role', 'county', 'tileset', 'expires'].filter((option) => values[option as keyof typeof values] !== undefined);
  if (action !== 'create' && optionsGiven.length > 0) return usage(exits, `--${optionsGiven[0]} applies to "tokens create" only`);
  switch (action) {
    case 'create': {
      if (id !== undefined) return usage(exits, `unexpected argument "${id}"`);
      const config = loadConfig();
      const spec = tokenSpec(values, config);
      if (typeof spec === 'string') return usage(exits, spec);
      return withCliDatabase(async (pool) => {
        const created = await createToken(pool, { ...spec, createdBy: cliUser() });
        await writeAudit(pool, {
          actor: cliUser(),
          action: 'token.create',
          target: `token:${created.record.id}`,
          outcome: 'ok',
          details: { name: spec.name, role: spec.role, countyCodes: spec.countyCodes, tilesets: spec.tilesets, expiresAt: spec.expiresAt },
        });
        if (values.json) {
          console.log(JSON.stringify({ ...created.record, token: created.token }, null, 2));
        } else {
          console.error(`token ${created.record.id} "${spec.name}" (${describeScope(created.record)}) created` +
            `${spec.expiresAt ? `, expires ${spec.expiresAt.toISOString()}` : ', never expires'}.\n` +
            'Store it now: it is shown only this once (only its hash is kept). Use it as "Authorization: Bearer <token>".');
          console.log(created.token);
        }
        return exits.ok;
      });
    }
    case 'list':
      if (id !== undefined) return usage(exits, `unexpected argument "${id}"`);
      return withCliDatabase(async (pool) => {
        const tokens = await listTokens(pool);
        if (values.json) console.log(JSON.stringify(tokens.map((token) => ({ ...token, state: tokenState(token) })), null, 2));
        else if (tokens.length === 0) console.log('no tokens (create one with: npm run cli -- tokens create --name <name> --role admin)');
        else console.log(tokensTable(tokens));
        return exits.ok;
      });
    case 'revoke':
      if (!id) return usage(exits, 'tokens revoke needs a token id (see tokens list)');
      return withCliDatabase(async (pool) => {
        const token = /^[a-z0-9]{12}$/.test(id) ? await revokeToken(pool, id) : null;
        if (!token) {
          console.error(`no token "${id}" (see tokens list)`);
          return exits.notFound;
        }
        await writeAudit(pool, { actor: cliUser(), action: 'token.revoke', target: `token:${id}`, outcome: 'ok', details: { name: token.name } });
        console.log(`token ${id} "${token.name}" revoked at ${token.revokedAt!.toISOString()}`);
        return exits.ok;
      });
    default:
      return usage(exits, action === undefined ? 'tokens needs an action: create, list or revoke' : `unknown tokens action "${action}" (create, list, revoke)`);
  }
}

interface TokenSpec {
  readonly name: string;
  readonly role: Role;
  readonly countyCodes: string[];
  readonly tilesets: string[];
  readonly expiresAt: Date | null;
}

/** The token to create, or what is wrong with the options (naming the option). */
function tokenSpec(values: { name?: string; role?: string; county?: string[]; tileset?: string[]; expires?: string }, config: AppConfig): TokenSpec | string {
  const name = values.name?.trim() ?? '';
  if (!name) return '--name is required: say who or what will use the token (it appears in the audit log)';
  if (name.length > 100 || /\p{Cc}/u.test(name)) return `--name must be 1 to 100 characters without control characters`;
  const role = values.role;
  if (!role) return `--role is required: ${roles.join(', ')}`;
  if (!(roles as readonly string[]).includes(role)) return `--role "${role}" is not one of ${roles.join(', ')}`;
  const countyCodes = [...new Set(values.county ?? [])];
  const badCounty = countyCodes.find((code) => !/^\d{6}$/.test(code));
  if (badCounty !== undefined) return `--county "${badCounty}" is not a six-digit administrative code (e.g. 371502)`;
  if (role === 'editor' && countyCodes.length === 0) return '--county is required for an editor: the counties whose datasets it may import and roll back';
  if (role !== 'editor' && countyCodes.length > 0) return `--county applies to editor tokens only (an ${role} token ${role === 'admin' ? 'administers every dataset' : 'administers none'})`;
  const tilesets = [...new Set(values.tileset ?? [])];
  const known = config.tilesets.map((tileset) => tileset.id);
  const unknownTileset = tilesets.find((id) => !known.includes(id));
  if (unknownTileset !== undefined) return `--tileset "${unknownTileset}" is not a configured tileset (configured: ${known.join(', ') || 'none'})`;
  if (role === 'admin' && tilesets.length > 0) return '--tileset does not apply to admin tokens: admins read every tileset';
  let expiresAt: Date | null = null;
  if (values.expires !== undefined) {
    try {
      expiresAt = parseExpiry(values.expires);
    } catch (error) {
      return `--expires: ${(error as Error).message}`;
    }
  }
  return { name, role: role as Role, countyCodes, tilesets, expiresAt };
}

function describeScope(token: ApiToken): string {
  const parts: string[] = [token.role];
  if (token.countyCodes.length > 0) parts.push(`counties ${token.countyCodes.join(', ')}`);
  if (token.tilesets.length > 0) parts.push(`tilesets ${token.tilesets.join(', ')}`);
  return parts.join('; ');
}

function tokensTable(tokens: readonly ApiToken[]): string {
  const day = (date: Date | null) => (date ? date.toISOString().slice(0, 16).replace('T', ' ') : '-');
  return textTable(
    ['ID', 'NAME', 'ROLE', 'COUNTIES', 'TILESETS', 'STATE', 'EXPIRES', 'LAST USED', 'CREATED BY'],
    tokens.map((token) => [
      token.id,
      token.name,
      token.role,
      token.countyCodes.join(',') || '-',
      token.tilesets.join(',') || '-',
      tokenState(token),
      day(token.expiresAt),
      day(token.lastUsedAt),
      token.createdBy,
    ]),
  );
}

function usage(exits: CommandExits, message: string): number {
  console.error(`${message}\n\nUsage:\n${TOKENS_USAGE}`);
  return exits.usage;
}
