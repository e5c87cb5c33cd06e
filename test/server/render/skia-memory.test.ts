import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../../core/project-root.js';

const run = promisify(execFile);

/**
 * Draws images in a fresh Node process (this one may have loaded Skia already) and reports the
 * allocator setting it ran with and how many of its mappings may use transparent huge pages
 * (VmFlags `hg` in /proc/self/smaps: madvise(MADV_HUGEPAGE)).
 */
const CHILD = `
const { TileDrawer } = await import('./server/render/tile-drawer.ts');
const style = { version: 8, sources: {}, layers: [{ id: 'paper', type: 'background', paint: { 'background-color': '#f0e0d0' } }] };
const drawer = new TileDrawer([{ id: 'paper', style }]);
for (let i = 0; i < 40; i++) await drawer.draw({ styleId: 'paper', size: 256, zoom: 14, pixelRatio: 1, format: 'png', sources: [] });
const { readFileSync } = await import('node:fs');
const flags = [...readFileSync('/proc/self/smaps', 'utf8').matchAll(/^VmFlags:(.*)$/gm)].map((match) => match[1]);
console.log(JSON.stringify({ setting: process.env.MIMALLOC_ALLOW_THP ?? null, hugePageMappings: flags.filter((line) => / hg( |$)/.test(line)).length }));
`;

async function drawInChild(env: NodeJS.ProcessEnv): Promise<{ setting: string | null; hugePageMappings: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: projectRoot, env });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { setting: string | null; hugePageMappings: number };
}

describe('Skia memory settings (server/render/skia-memory.ts)', () => {
  it('draws with transparent huge pages off, set before Skia loads', async () => {
    const { MIMALLOC_ALLOW_THP: _ignored, ...env } = process.env;
    const { setting, hugePageMappings } = await drawInChild(env);
    expect(setting).to.equal('0');
    expect(hugePageMappings, 'mappings advised for huge pages').to.equal(0);
  });

  it("keeps an operator's own MIMALLOC_ALLOW_THP", async () => {
    const { setting, hugePageMappings } = await drawInChild({ ...process.env, MIMALLOC_ALLOW_THP: '1' });
    expect(setting).to.equal('1');
    // mimalloc then advises its memory for huge pages again: proof that the setting is what decides.
    expect(hugePageMappings).to.be.greaterThan(0);
  });
});
