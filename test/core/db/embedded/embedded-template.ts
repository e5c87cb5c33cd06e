import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase } from '../../../../core/db/embedded/embedded-database.js';
import { silentLogger } from '../../../support/test-database.js';

/*
 * Making an embedded data folder (initdb and CREATE EXTENSION postgis in WebAssembly) takes tens
 * of seconds of CPU, so the embedded tests make one per test process and work on copies.
 */
let template: Promise<string> | undefined;
const workDir = mkdtempSync(join(tmpdir(), 'planmap-embedded-test-'));
process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));

/** A folder made by a first start of the embedded database, then closed (never to be opened). */
function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = join(workDir, 'template');
    const database = await startEmbeddedDatabase({ dataDir: dir, logger: silentLogger });
    await database.close();
    return dir;
  })();
  return template;
}

let copies = 0;

/** A fresh copy of the template, in a folder of its own, named for the test. */
export async function copyOfEmbeddedTemplate(name: string): Promise<string> {
  const source = await embeddedTemplate();
  const dir = join(workDir, `${name}-${++copies}`);
  cpSync(source, dir, { recursive: true });
  return dir;
}

/** The folder for scratch files of the embedded tests (removed at exit). */
export function embeddedWorkDir(): string {
  return workDir;
}

export async function embeddedTemplateDir(): Promise<string> {
  return embeddedTemplate();
}
