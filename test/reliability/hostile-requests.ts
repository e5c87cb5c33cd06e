/**
 * Generators of malformed and random requests for the hostile-input test: raw bytes, so that
 * anything a client could put on the wire is possible (bad percent-encoding, invalid UTF-8,
 * control characters, huge headers and bodies). Deterministic for a seed.
 */

export type HostileCategory = 'tile' | 'wmts' | 'tilejson' | 'styles' | 'admin' | 'other';

export interface HostileRequest {
  readonly category: HostileCategory;
  /** The request exactly as sent. */
  readonly bytes: Buffer;
  /** A short description for failure messages (the path, cut). */
  readonly label: string;
}

const SQL = ["'; DROP TABLE meta.datasets; --", "1 OR 1=1", "landuse\" UNION SELECT * FROM meta.api_tokens --", "$1", "pg_sleep(10)", "');TRUNCATE meta.audit_log;--"];
const TRAVERSAL = ['../../../../etc/passwd', '..%2f..%2f..%2fetc%2fpasswd', '%2e%2e/%2e%2e/config/default.yaml', '..\\..\\windows\\win.ini', '....//....//etc/passwd', '%252e%252e%252f', '/etc/passwd%00.png'];
const BAD_ENCODING = ['%', '%Z', '%ZZ', '%C0%AF', '%E4%B8', '%FF%FE', '%ED%A0%80', '%00', '%0d%0aX-Injected:%20yes', '\u4e09\u8c03'];
const NUMBERS = ['0', '-1', '1e309', '99999999999999999999999999', 'NaN', 'Infinity', '0x10', '1.5', '00014', '+3', '2147483648', '9007199254740993', ''];
const TILESETS = ['landuse', 'county', 'landuse,county', 'landuse,landuse', 'LANDUSE', '', ',', 'a'.repeat(300), 'meta.api_tokens', 'ghfq'];
const GRIDS = ['', 'WebMercatorQuad/', 'CGCS2000Quad/', 'EPSG:3857/', 'webmercatorquad/', '../'];
const EXTENSIONS = ['.mvt', '.pbf', '.png', '.json', '.MVT', '', '.mvt.exe', '.mvt%00.png', '.webp', '@2x.png'];
const ADMIN_PATHS = ['datasets', 'datasets/landuse/imports', 'datasets/landuse/rollback', 'jobs', 'jobs/1', 'jobs/1/events', 'jobs/1/report', 'audit', 'cache/purge', 'tokens', '', 'jobs/99999999999999999999', 'datasets/../../etc/passwd', "datasets/' OR 1=1/imports"];
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'GETT', 'G\u00e9T'];
const WMTS_KEYS = ['SERVICE', 'REQUEST', 'VERSION', 'LAYER', 'STYLE', 'TILEMATRIXSET', 'TILEMATRIX', 'TILEROW', 'TILECOL', 'FORMAT', 'service', 'Request', 'token'];
const WMTS_VALUES = ['WMTS', 'GetTile', 'GetCapabilities', 'GetFeatureInfo', '1.0.0', '2.0', 'landuse', 'planning', 'default', 'WebMercatorQuad', 'CGCS2000Quad', 'image/png', 'image/svg+xml', ...NUMBERS, ...SQL, ...BAD_ENCODING];

export function hostileRequest(random: () => number, index: number): HostileRequest {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const maybe = (share: number) => random() < share;
  const category = pick<HostileCategory>(['tile', 'tile', 'tile', 'wmts', 'wmts', 'tilejson', 'styles', 'admin', 'admin', 'other']);
  const noise = () => pick([...SQL, ...TRAVERSAL, ...BAD_ENCODING, ...NUMBERS]);
  const number = () => (maybe(0.4) ? String(Math.floor(random() * 2 ** (1 + Math.floor(random() * 40)))) : pick(NUMBERS));
  let path: string;
  switch (category) {
    case 'tile':
      path = `/tiles/${maybe(0.7) ? pick(TILESETS) : noise()}/${pick(GRIDS)}${number()}/${number()}/${maybe(0.8) ? number() : noise()}${pick(EXTENSIONS)}`;
      break;
    case 'wmts': {
      if (maybe(0.3)) {
        path = `/wmts/1.0.0/${maybe(0.5) ? 'landuse' : noise()}/default/${pick(['WebMercatorQuad', 'CGCS2000Quad', noise()])}/${number()}/${number()}/${number()}${pick(EXTENSIONS)}`;
      } else {
        const pairs = Array.from({ length: 1 + Math.floor(random() * 10) }, () => `${pick(WMTS_KEYS)}=${pick(WMTS_VALUES)}`);
        path = `/wmts?${pairs.join('&')}`;
      }
      break;
    }
    case 'tilejson':
      path = `/tiles/${maybe(0.5) ? pick(TILESETS) : noise()}.json${maybe(0.2) ? `?token=${noise()}` : ''}`;
      break;
    case 'styles':
      path = `/styles/${maybe(0.5) ? pick(['landuse', 'planning']) : noise()}/${maybe(0.4) ? 'style.json' : `${number()}/${number()}/${number()}${pick(EXTENSIONS)}`}`;
      break;
    case 'admin':
      path = `/admin/${pick(ADMIN_PATHS)}${maybe(0.3) ? `?${pick(['limit', 'before', 'dataset', 'who', 'from'])}=${noise()}` : ''}`;
      break;
    default:
      path = pick(['/catalog', '/styles', '/health', '/ready', '/metrics', '/', '/index.html', '/vendor/maplibre-gl/../../package.json', `/${noise()}`, '//admin/datasets', '/tiles', '/tiles/']);
  }
  // Spaces would end the request line early (Node answers 400 before any route): encoded, except now and then.
  if (category === 'admin' || !maybe(0.05)) path = path.replace(/ /g, '%20');
  // Raw non-ASCII in a request line is no HTTP request (Node answers 400 before any route): admin paths are encoded.
  if (category === 'admin') path = path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  const method = category === 'admin' ? pick(['GET', 'POST', 'DELETE', 'PUT']) : pick(METHODS);
  const headers = ['Host: 127.0.0.1', 'Connection: close'];
  // Admin requests carry no token (every one must be 401) and stay within Node's header limits.
  if (category !== 'admin') {
    if (maybe(0.1)) headers.push(`Authorization: ${pick(['Bearer ', 'Bearer pm_aaaaaaaaaaaa_x', 'Basic YWRtaW46YWRtaW4=', `Bearer ${noise()}`, 'Bearer'])}`);
    if (maybe(0.05)) headers.push(`X-Big: ${'x'.repeat(20_000 + Math.floor(random() * 40_000))}`);
    if (maybe(0.05)) headers.push(`If-None-Match: ${noise()}`, `Accept-Encoding: ${noise()}`);
    if (maybe(0.05)) headers.push(`X-Forwarded-For: ${noise()}`, `X-Forwarded-Prefix: ${noise()}`, `X-Forwarded-Host: ${noise()}`);
    if (maybe(0.03)) headers.push(`Range: bytes=${number()}-${number()}`);
  }
  let body = Buffer.alloc(0);
  if (method !== 'GET' && method !== 'HEAD' && maybe(0.6)) {
    body = maybe(0.2)
      ? Buffer.alloc(64 * 1024 + Math.floor(random() * 2 * 1024 * 1024), 0x7b)
      : Buffer.from(pick(['{', '{"version": "latest"}', '{"version": 1e400}', '[]', 'null', '\u0000\u0001', `{"a": "${noise()}"}`, '{"__proto__": {"admin": true}}']), 'utf8');
    headers.push(`Content-Type: ${pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', noise()])}`, `Content-Length: ${body.length}`);
  }
  // Raw bytes: invalid UTF-8 now and then, straight in the request line.
  const pathBytes = category !== 'admin' && maybe(0.05) ? Buffer.concat([Buffer.from(path, 'latin1'), Buffer.from([0xc0, 0xaf, 0xff, 0xfe])]) : Buffer.from(path, 'utf8');
  const head = Buffer.concat([Buffer.from(`${method} `, 'utf8'), pathBytes, Buffer.from(` HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8')]);
  return { category, bytes: Buffer.concat([head, body]), label: `#${index} ${category} ${method} ${path.slice(0, 120)}` };
}
