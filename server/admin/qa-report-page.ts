import type { ImportJob } from '../../pipeline/jobs/import-job.js';
import { formatQaReport, type QaReport } from '../../pipeline/qa/qa-report.js';

/** The QA report of a job for people: plain text (as the CLI prints it) or a small HTML page. */

export function qaReportText(job: ImportJob, report: QaReport): string {
  return `Import job ${job.id}, dataset ${job.datasetId}: ${job.status}${job.version === null ? '' : `, version ${job.version}`}\n\n${formatQaReport(report)}\n`;
}

export function qaReportHtml(job: ImportJob, report: QaReport): string {
  const rows = report.findings.map((finding) => {
    const examples = finding.examples
      .map((example) => `<li>${escapeHtml(example.file)}, feature ${example.feature}: ${escapeHtml(example.detail)}</li>`)
      .join('');
    const more = finding.count > finding.examples.length ? `<li>… and ${finding.count - finding.examples.length} more</li>` : '';
    return `<tr class="${finding.level}"><td>${finding.level.toUpperCase()}</td><td>${escapeHtml(finding.rule)}</td><td>${finding.count}</td>` +
      `<td>${escapeHtml(finding.message)}<ul>${examples}${more}</ul></td></tr>`;
  });
  const title = `QA report: import job ${job.id}, dataset ${escapeHtml(job.datasetId)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
tr.fail td:first-child{color:#b00020;font-weight:bold}tr.warn td:first-child{color:#a66b00}.passed{color:#1b5e20}.failed{color:#b00020}</style></head>
<body><h1>${title}</h1>
<p>Status <b>${job.status}</b>${job.version === null ? '' : `, version ${job.version} published`}.
Features read ${report.featuresRead}, loaded ${report.featuresLoaded}, rejected ${report.featuresRejected}.</p>
<p class="${report.passed ? 'passed' : 'failed'}">${report.passed ? 'QA passed' : 'QA FAILED: nothing was published'}</p>
${rows.length === 0 ? '<p>No findings.</p>' : `<table><thead><tr><th>Level</th><th>Check</th><th>Features</th><th>Finding</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`}
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
