import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../core/project-root.js';

interface LintIssue {
  readonly line: string;
  readonly content: string;
  readonly category: string;
  readonly title: string;
}

/**
 * dockerfilelint 1.8 reads HEALTHCHECK options with /--\w+/, so `--start-period` (a valid
 * option since Docker 17.05, and one it lists as allowed) reads as an unknown `--start`. Only
 * that report is set aside; every other finding fails the test.
 */
function isStartPeriodFalsePositive(issue: LintIssue): boolean {
  return issue.title === 'Invalid Argument Format' && /^HEALTHCHECK .*--start-period=\d+s/.test(issue.content);
}

describe('Dockerfile', () => {
  it('passes dockerfilelint', async () => {
    const bin = join(projectRoot, 'node_modules', '.bin', 'dockerfilelint');
    const { stdout } = await promisify(execFile)(bin, ['-o', 'json', join(projectRoot, 'Dockerfile')]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as { files: { issues: LintIssue[] }[] };
    const issues = report.files.flatMap((file) => file.issues).filter((issue) => !isStartPeriodFalsePositive(issue));
    expect(issues, JSON.stringify(issues, null, 2)).to.deep.equal([]);
  });

  it('builds in one stage and runs as the unprivileged node user, with a health check and the entrypoint, in another', async () => {
    const text = await readFile(join(projectRoot, 'Dockerfile'), 'utf8');
    const stages = text.split(/^FROM /m).slice(1);
    expect(stages).to.have.length(2);
    const runtime = stages[1]!;
    expect(runtime).to.match(/^node:20-bookworm-slim\n/);
    expect(runtime).to.match(/^USER node$/m);
    expect(runtime).to.match(/^HEALTHCHECK .*\n\s+CMD \["node", "-e", ".*\/health/m);
    expect(runtime).to.contain('ENTRYPOINT ["/app/docker/entrypoint.sh"]');
    // The runtime stage has no compiler and installs nothing: node_modules come pruned from the build.
    expect(runtime).to.not.match(/apt-get|npm (ci|install)/);
    for (const folder of ['dist', 'config', 'data', 'styles', 'web', 'docker', 'node_modules']) expect(runtime).to.contain(`COPY --from=build /app/${folder} ./${folder}`);
  });
});

describe('docker-compose.yml', () => {
  it('runs PostGIS, Redis and the server with its config, an import inbox and the admin token', async () => {
    const compose = parseYaml(await readFile(join(projectRoot, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; volumes?: string[]; depends_on?: Record<string, unknown> }>;
    };
    expect(compose.services.db!.image).to.match(/^postgis\/postgis:/);
    expect(compose.services.redis!.image).to.match(/^redis:/);
    const server = compose.services.server!;
    expect(server.build).to.equal('.');
    expect(Object.keys(server.environment!)).to.include.members(['DATABASE_URL', 'ADMIN_TOKEN', 'CONFIG_FILE']);
    expect(server.volumes!.some((volume) => volume.endsWith(':/app/imports:ro'))).to.equal(true);
    expect(server.volumes!.some((volume) => volume.includes(`:${server.environment!.CONFIG_FILE}:ro`))).to.equal(true);
    expect(Object.keys(server.depends_on!)).to.include.members(['db', 'redis']);
  });
});
