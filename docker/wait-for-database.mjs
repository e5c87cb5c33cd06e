// Waits until DATABASE_URL accepts connections and answers a query, for at most argv[2]
// seconds (used by docker/entrypoint.sh). Exit 0 when it does, 69 (EX_UNAVAILABLE) when it
// does not in time. The password never appears in the output.
import pg from 'pg';

const EX_UNAVAILABLE = 69;
const RETRY_MS = 1000;

const url = process.env.DATABASE_URL;
const waitSeconds = Number(process.argv[2] ?? '60');
if (!url) {
  console.error('[entrypoint] DATABASE_URL is not set');
  process.exit(64);
}

function describe(connectionString) {
  try {
    const parsed = new URL(connectionString);
    return `${parsed.hostname || 'localhost'}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(DATABASE_URL is not a URL)';
  }
}

async function tryOnce() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const where = describe(url);
const deadline = Date.now() + waitSeconds * 1000;
let lastError = null;
for (let attempt = 1; ; attempt++) {
  try {
    await tryOnce();
    console.error(`[entrypoint] database ${where} is ready`);
    process.exit(0);
  } catch (error) {
    lastError = error;
  }
  if (Date.now() + RETRY_MS > deadline) break;
  if (attempt === 1) console.error(`[entrypoint] waiting for the database ${where} (up to ${waitSeconds} s): ${lastError.message}`);
  await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
}
console.error(`[entrypoint] the database ${where} did not accept connections within ${waitSeconds} s: ${lastError?.message ?? 'no attempt'}`);
process.exit(EX_UNAVAILABLE);
