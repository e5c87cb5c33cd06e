import { expect } from 'chai';
import type { Principal } from '../../../core/auth/api-token.js';
import { AccessPolicy, decide } from '../../../server/access/access-policy.js';
import { privateCacheControl, withQueryToken } from '../../../server/access/access-control.js';
import { TokenBuckets } from '../../../server/access/rate-limiter.js';
import { tokenQueryParameter } from '../../../server/access/request-principal.js';
import { redactTokenInUrl } from '../../../core/logger.js';
import { testConfig } from '../../support/test-database.js';

const URL_OF_NOTHING = 'postgres://postgres@127.0.0.1:5432/none';

describe('access control parts (server/access)', () => {
  describe('configuration', () => {
    it('defaults every tileset and style to public, so existing configurations keep working', () => {
      const config = testConfig(URL_OF_NOTHING);
      expect(config.tilesets.every((tileset) => tileset.access === 'public')).to.equal(true);
      expect(config.access.styles).to.deep.equal({});
      expect(new AccessPolicy(config).protectsAnything).to.equal(false);
    });

    for (const [name, adjust, message] of [
      ['an unknown tileset level', (raw: Record<string, unknown>) => ((raw.tilesets as Record<string, unknown>[])[0]!.access = 'secret'), /tilesets\[0\]\.access: Invalid option/],
      ['a style id that is no file name', (raw: Record<string, unknown>) => (raw.access = { styles: { 'Bad Style': 'internal' } }), /access\.styles/],
      ['an unknown style level', (raw: Record<string, unknown>) => (raw.access = { styles: { planning: 'hidden' } }), /access\.styles\.planning/],
      ['a CORS origin with a path', (raw: Record<string, unknown>) => (raw.access = { cors: { origins: ['https://gis.example.org/maps'] } }), /access\.cors\.origins\[0\]: must be \* or an origin/],
      ['a negative rate', (raw: Record<string, unknown>) => (raw.access = { rateLimits: { tiles: { perToken: { ratePerSecond: -1, burst: 1 }, perAddress: { ratePerSecond: 1, burst: 1 } } } }), /access\.rateLimits\.tiles\.perToken\.ratePerSecond/],
      ['a burst of zero', (raw: Record<string, unknown>) => (raw.access = { rateLimits: { admin: { perToken: { ratePerSecond: 1, burst: 0 }, perAddress: { ratePerSecond: 1, burst: 1 } } } }), /access\.rateLimits\.admin\.perToken\.burst/],
      ['an unknown access key', (raw: Record<string, unknown>) => (raw.access = { tokens: [] }), /access/],
    ] as const) {
      it(`refuses ${name}, naming the key`, () => {
        expect(() => testConfig(URL_OF_NOTHING, adjust)).to.throw(message);
      });
    }
  });

  describe('the policy', () => {
    const config = testConfig(URL_OF_NOTHING, (raw) => {
      for (const tileset of raw.tilesets as { id: string; access?: string }[]) {
        tileset.access = tileset.id === 'landuse' ? 'restricted' : tileset.id === 'county' ? 'internal' : 'public';
      }
      raw.access = { styles: { planning: 'internal', landuse: 'public' } };
    });
    const policy = new AccessPolicy(config);
    const viewer = (tilesets: string[]): Principal => ({ tokenId: 'abc', name: 'v', role: 'viewer', countyCodes: [], tilesets });

    it('makes a composite as strict as its strictest member, needing every restricted grant', () => {
      expect(policy.tileset('county,ghfq')).to.deep.equal({ level: 'internal', restrictedTilesets: [] });
      expect(policy.tileset('county,landuse')).to.deep.equal({ level: 'restricted', restrictedTilesets: ['landuse'] });
    });

    it('never makes a style less strict than its tilesets, whatever access.styles says', () => {
      expect(policy.style('landuse', ['landuse', 'county']).level).to.equal('restricted');
      expect(policy.style('planning', ['ghfq']).level).to.equal('internal');
      expect(policy.style('other', ['ghfq']).level).to.equal('public');
    });

    it('asks a style restricted by configuration alone for grants of all its tilesets', () => {
      const strict = new AccessPolicy({ ...config, access: { ...config.access, styles: { planning: 'restricted' } } });
      const resource = strict.style('planning', ['ghfq', 'county']);
      expect(resource).to.deep.equal({ level: 'restricted', restrictedTilesets: ['ghfq', 'county'] });
      expect(decide(viewer(['ghfq']), resource)).to.equal('forbidden');
      expect(decide(viewer(['ghfq', 'county']), resource)).to.equal('allow');
    });

    it('decides 401 without a token, 403 without a grant, and lets admins read everything', () => {
      const restricted = policy.tileset('landuse');
      expect(decide(null, restricted)).to.equal('needs-token');
      expect(decide(viewer([]), restricted)).to.equal('forbidden');
      expect(decide(viewer(['landuse']), restricted)).to.equal('allow');
      expect(decide({ ...viewer([]), role: 'admin' }, restricted)).to.equal('allow');
      expect(decide(null, policy.tileset('ghfq'))).to.equal('allow');
    });
  });

  describe('token buckets', () => {
    it('allow a burst, then refuse with the seconds to wait, and refill at the rate', () => {
      let now = 0;
      const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, 100, () => now);
      expect([buckets.take('a'), buckets.take('a'), buckets.take('a'), buckets.take('a')]).to.deep.equal([0, 0, 0, 1]);
      expect(buckets.take('b'), 'buckets are per key').to.equal(0);
      now += 500; // one request's worth
      expect([buckets.take('a'), buckets.take('a')]).to.deep.equal([0, 1]);
      now += 10_000;
      expect([buckets.take('a'), buckets.take('a'), buckets.take('a'), buckets.take('a')]).to.deep.equal([0, 0, 0, 1]);
    });
  });

  describe('tokens in URLs', () => {
    it('reads ?token= (decoded, first one) and ignores other parameters that end in token', () => {
      expect(tokenQueryParameter('/tiles/a/1/2/3.mvt?x=1&token=pm_abc%2Bdef&token=other')).to.equal('pm_abc+def');
      expect(tokenQueryParameter('/tiles/a/1/2/3.mvt?csrftoken=x')).to.equal(null);
      expect(tokenQueryParameter('/tiles/a/1/2/3.mvt?token=')).to.equal(null);
      expect(tokenQueryParameter('/tiles/a/1/2/3.mvt?token=%ZZ')).to.equal('%ZZ');
      expect(tokenQueryParameter('/tiles/a/1/2/3.mvt')).to.equal(null);
    });

    it('adds the caller’s ?token= to URL templates, encoded', () => {
      expect(withQueryToken('https://x/tiles/a/{z}/{x}/{y}.mvt', { queryToken: 'pm_a_b+c' })).to.equal('https://x/tiles/a/{z}/{x}/{y}.mvt?token=pm_a_b%2Bc');
      expect(withQueryToken('https://x/wmts?SERVICE=WMTS', { queryToken: 't' })).to.equal('https://x/wmts?SERVICE=WMTS&token=t');
      expect(withQueryToken('https://x/a.json', { queryToken: null })).to.equal('https://x/a.json');
    });

    it('redacts token= values in logged text', () => {
      expect(redactTokenInUrl('/tiles/a/1/2/3.mvt?x=1&token=pm_secret&y=2')).to.equal('/tiles/a/1/2/3.mvt?x=1&token=[redacted]&y=2');
      expect(redactTokenInUrl('GET /wmts?TOKEN=abc')).to.equal('GET /wmts?TOKEN=[redacted]');
      expect(redactTokenInUrl('/catalog')).to.equal('/catalog');
    });
  });

  it('makes protected responses private to shared caches', () => {
    expect(privateCacheControl('public, max-age=300')).to.equal('private, max-age=300');
    expect(privateCacheControl('public, max-age=300, s-maxage=600')).to.equal('private, max-age=300');
    expect(privateCacheControl('no-store')).to.equal('no-store');
  });
});
