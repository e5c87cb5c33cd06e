// @ts-check
/**
 * The admin page (`/admin.html`): datasets with their versions, import jobs with live progress,
 * starting an import, rolling back, reading a QA report. Everything goes through the admin API
 * (`/admin/...`) with the bearer token; live progress is the job's server-sent event stream,
 * read with fetch() because EventSource cannot send the token.
 */
import { HttpError, authorizedFetch, fetchJson, getToken, setToken, tokenProblemMessage } from './auth.js';
import { readEventStream } from './sse-stream.js';

/**
 * @typedef {{ version: number, status: string, featureCount: number, publishedAt: string | null, createdAt: string }} Version
 * @typedef {{ filesTotal: number | null, filesDone: number, bytesTotal: number | null, bytesDone: number, featuresDone: number }} Progress
 * @typedef {{ passed: boolean, featuresRead: number, featuresLoaded: number, featuresRejected: number,
 *   findings: Array<{ rule: string, level: string, count: number, message: string }> }} QaSummary
 * @typedef {{ id: number, dataset: string, status: string, phase: string | null, startedBy: string, progress: Progress,
 *   version: number | null, error: string | null, qa: QaSummary | null, createdAt: string, finishedAt: string | null }} Job
 * @typedef {{ id: string, title: string, kind: string, countyCode: string | null, source: { path: string } | null,
 *   liveVersion: number | null, versions: Version[], importing: boolean, lastJob: Job | null }} Dataset
 */

const API = 'admin';

const elements = {
  banner: /** @type {HTMLElement} */ (document.getElementById('banner')),
  tokenForm: /** @type {HTMLFormElement} */ (document.getElementById('token-form')),
  tokenInput: /** @type {HTMLInputElement} */ (document.getElementById('token-input')),
  tokenClear: /** @type {HTMLButtonElement} */ (document.getElementById('token-clear')),
  tokenState: /** @type {HTMLElement} */ (document.getElementById('token-state')),
  refresh: /** @type {HTMLButtonElement} */ (document.getElementById('refresh')),
  datasets: /** @type {HTMLTableSectionElement} */ (document.querySelector('#datasets tbody')),
  jobs: /** @type {HTMLTableSectionElement} */ (document.querySelector('#jobs tbody')),
  qaSection: /** @type {HTMLElement} */ (document.getElementById('qa-report')),
  qaText: /** @type {HTMLElement} */ (document.getElementById('qa-text')),
  qaClose: /** @type {HTMLButtonElement} */ (document.getElementById('qa-close')),
};

const STATUS_NAMES = /** @type {Record<string, string>} */ ({
  queued: '排队 queued',
  running: '运行中 running',
  succeeded: '成功 succeeded',
  failed: '失败 failed',
  cancelled: '已取消 cancelled',
  live: '现行 live',
  retired: '历史 retired',
});

const PHASE_NAMES = /** @type {Record<string, string>} */ ({ read: '读取 read', prepare: '处理 prepare', qa: '质检 QA', publish: '发布 publish' });

/** Open event streams by job id, so a job is followed once and streams stop on sign-out. */
const streams = new Map();
/** @type {Map<number, Job>} */
const jobs = new Map();
/** Events received per job and type (`3:progress` -> 5), for scripts and tests that check the stream is live. */
const eventCounts = new Map();

// ---- messages ------------------------------------------------------------------------------

/**
 * @param {string} text
 * @param {'auth' | 'error' | 'info'} kind
 */
function showBanner(text, kind) {
  elements.banner.textContent = text;
  elements.banner.dataset.kind = kind;
  elements.banner.hidden = false;
}

function clearBanner() {
  elements.banner.hidden = true;
  elements.banner.textContent = '';
}

/** @param {unknown} error */
function reportError(error) {
  if (error instanceof HttpError && error.isAuthProblem) {
    showBanner(tokenProblemMessage(error.status, error.message), 'auth');
    elements.tokenInput.focus();
  } else if (error instanceof HttpError) {
    showBanner(`操作失败 (failed, ${error.status || 'network'}): ${error.message}`, 'error');
  } else {
    showBanner(`出错了 (error): ${error instanceof Error ? error.message : String(error)}`, 'error');
  }
}

// ---- formatting ----------------------------------------------------------------------------

/** @param {string | null | undefined} iso */
function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '—';
}

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {Array<Node | string>} [children]
 */
function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** @param {string} status */
function statusBadge(status) {
  return element('span', { class: 'status', 'data-status': status }, [STATUS_NAMES[status] ?? status]);
}

// ---- datasets ------------------------------------------------------------------------------

async function loadDatasets() {
  const body = await fetchJson(`${API}/datasets`);
  /** @type {Dataset[]} */
  const datasets = body.datasets;
  elements.datasets.replaceChildren(...datasets.map(datasetRow));
  if (datasets.length === 0) elements.datasets.append(element('tr', {}, [element('td', { colspan: '5' }, ['此令牌无可管理的数据集 (no dataset this token may administer)'])]));
}

/** @param {Dataset} dataset */
function datasetRow(dataset) {
  const versions = element(
    'ul',
    {},
    dataset.versions.map((version) =>
      element('li', { 'data-version': String(version.version) }, [
        `v${version.version} `,
        statusBadge(version.status),
        ` ${version.featureCount.toLocaleString('zh-CN')} 要素 · ${formatTime(version.publishedAt ?? version.createdAt)}`,
      ]),
    ),
  );
  const importButton = /** @type {HTMLButtonElement} */ (element('button', { type: 'button', class: 'primary', 'data-action': 'import' }, ['导入 Import']));
  importButton.disabled = !dataset.source || dataset.importing;
  importButton.title = dataset.source ? `读取 ${dataset.source.path}` : '未配置数据来源 (no source configured)';
  importButton.addEventListener('click', () => startImport(dataset.id).catch(reportError));

  const older = dataset.versions.filter((version) => version.version !== dataset.liveVersion);
  const rollbackSelect = /** @type {HTMLSelectElement} */ (element('select', { 'aria-label': `回滚版本 ${dataset.id}` }, older.map((version) => element('option', { value: String(version.version) }, [`v${version.version}`]))));
  const rollbackButton = /** @type {HTMLButtonElement} */ (element('button', { type: 'button', class: 'danger', 'data-action': 'rollback' }, ['回滚 Roll back']));
  rollbackButton.disabled = older.length === 0 || dataset.importing;
  rollbackSelect.hidden = older.length === 0;
  rollbackButton.addEventListener('click', () => rollBack(dataset, Number(rollbackSelect.value)).catch(reportError));

  const lastJob = dataset.lastJob ? [statusBadge(dataset.lastJob.status), ` #${dataset.lastJob.id} ${formatTime(dataset.lastJob.finishedAt ?? dataset.lastJob.createdAt)}`] : ['—'];
  return element('tr', { 'data-dataset': dataset.id }, [
    element('td', {}, [element('strong', {}, [dataset.title]), element('br'), element('code', {}, [dataset.id]), dataset.countyCode ? ` · ${dataset.countyCode}` : '']),
    element('td', { class: 'live-version' }, [dataset.liveVersion === null ? '未发布 none' : element('span', { class: 'live-tag' }, [`v${dataset.liveVersion}`])]),
    element('td', {}, [versions]),
    element('td', {}, lastJob),
    element('td', {}, [importButton, ' ', rollbackSelect, ' ', rollbackButton]),
  ]);
}

/** @param {string} datasetId */
async function startImport(datasetId) {
  clearBanner();
  const response = await authorizedFetch(`${API}/datasets/${encodeURIComponent(datasetId)}/imports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  /** @type {{ job: Job }} */
  const { job } = await response.json();
  showBanner(`已开始导入 ${datasetId}（任务 #${job.id}）(import started)`, 'info');
  jobs.set(job.id, job);
  renderJobs();
  follow(job.id);
  await loadDatasets();
}

/**
 * @param {Dataset} dataset
 * @param {number} version
 */
async function rollBack(dataset, version) {
  if (!confirm(`将 ${dataset.title} 回滚到 v${version}？(roll back to version ${version}?)`)) return;
  clearBanner();
  const response = await authorizedFetch(`${API}/datasets/${encodeURIComponent(dataset.id)}/rollback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ version }),
  });
  const result = await response.json();
  showBanner(`${dataset.id}: v${result.liveVersion} 现已生效 (is live now)`, 'info');
  await loadDatasets();
}

// ---- jobs ----------------------------------------------------------------------------------

async function loadJobs() {
  const body = await fetchJson(`${API}/jobs?limit=20`);
  jobs.clear();
  for (const job of /** @type {Job[]} */ (body.jobs)) jobs.set(job.id, job);
  renderJobs();
  for (const job of jobs.values()) if (job.status === 'queued' || job.status === 'running') follow(job.id);
}

function renderJobs() {
  const sorted = [...jobs.values()].sort((a, b) => b.id - a.id);
  elements.jobs.replaceChildren(...sorted.map(jobRow));
}

/** @param {Job} job */
function jobRow(job) {
  const { progress } = job;
  const progressBar = /** @type {HTMLProgressElement} */ (element('progress', {}));
  const finished = job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
  if (finished) {
    progressBar.max = 1;
    progressBar.value = job.status === 'succeeded' ? 1 : 0;
  } else if (progress.bytesTotal) {
    progressBar.max = progress.bytesTotal;
    progressBar.value = progress.bytesDone;
  } else {
    progressBar.removeAttribute('value');
  }
  const progressText = [
    job.phase ? PHASE_NAMES[job.phase] ?? job.phase : '',
    progress.filesTotal !== null ? `${progress.filesDone}/${progress.filesTotal} 文件` : '',
    progress.bytesTotal !== null ? `${formatBytes(progress.bytesDone)} / ${formatBytes(progress.bytesTotal)}` : '',
  ].filter(Boolean).join(' · ');
  const qaCell = [];
  if (job.qa) qaCell.push(element('span', { class: 'status qa-result', 'data-status': job.qa.passed ? 'succeeded' : 'failed' }, [job.qa.passed ? '通过 passed' : '未通过 failed']), ' ');
  if (job.qa || finished) {
    const button = element('button', { type: 'button', 'data-action': 'report' }, ['报告 Report']);
    button.addEventListener('click', () => showReport(job.id).catch(reportError));
    qaCell.push(button);
  }
  return element('tr', { 'data-job-id': String(job.id) }, [
    element('td', {}, [`#${job.id}`]),
    element('td', {}, [job.dataset]),
    element('td', { class: 'job-status' }, [statusBadge(job.status), job.version !== null ? ` → v${job.version}` : '', job.error ? element('div', { class: 'hint job-error' }, [job.error]) : '']),
    element('td', {}, [progressBar, element('div', { class: 'hint' }, [progressText])]),
    element('td', { class: 'features' }, [progress.featuresDone.toLocaleString('zh-CN')]),
    element('td', {}, [job.startedBy]),
    element('td', {}, [formatTime(job.createdAt), finished ? ` – ${formatTime(job.finishedAt)}` : '']),
    element('td', {}, qaCell),
  ]);
}

/**
 * Follows a job's event stream: `progress` updates its row, `qa` its QA summary, `end` its
 * final state (then the datasets are read again: a publish changes their versions).
 * @param {number} jobId
 */
function follow(jobId) {
  if (streams.has(jobId)) return;
  const controller = new AbortController();
  streams.set(jobId, controller);
  readEventStream(
    `${API}/jobs/${jobId}/events`,
    (event) => {
      const counted = `${jobId}:${event.event}`;
      eventCounts.set(counted, (eventCounts.get(counted) ?? 0) + 1);
      const job = jobs.get(jobId);
      if (!job) return;
      const data = JSON.parse(event.data);
      if (event.event === 'progress') {
        const { id, status, phase, ...progress } = data;
        jobs.set(jobId, { ...job, status, phase, progress: { ...job.progress, ...progress } });
      } else if (event.event === 'qa') {
        jobs.set(jobId, { ...job, qa: data });
      } else if (event.event === 'end') {
        jobs.set(jobId, { ...job, status: data.status, version: data.version, error: data.error, finishedAt: new Date().toISOString() });
      }
      renderJobs();
    },
    controller.signal,
  )
    .then(async () => {
      // The stream ended with the job: the row as stored (finish time, counts), and the datasets.
      const { job } = await fetchJson(`${API}/jobs/${jobId}`);
      jobs.set(jobId, job);
      renderJobs();
      await loadDatasets();
    })
    .catch((error) => {
      if (!controller.signal.aborted) reportError(error);
    })
    .finally(() => streams.delete(jobId));
}

/** @param {number} jobId */
async function showReport(jobId) {
  const response = await authorizedFetch(`${API}/jobs/${jobId}/report`, { headers: { Accept: 'text/plain' } });
  elements.qaText.textContent = await response.text();
  elements.qaSection.hidden = false;
  elements.qaSection.dataset.jobId = String(jobId);
  elements.qaSection.scrollIntoView({ behavior: 'smooth' });
}

// ---- start ---------------------------------------------------------------------------------

function stopStreams() {
  for (const controller of streams.values()) controller.abort();
  streams.clear();
}

async function load() {
  renderTokenState();
  stopStreams();
  if (!getToken()) {
    elements.datasets.replaceChildren();
    elements.jobs.replaceChildren();
    showBanner('请输入管理令牌 (enter an admin token): 服务器的 ADMIN_TOKEN 或用命令行创建的令牌。', 'info');
    return;
  }
  try {
    clearBanner();
    await Promise.all([loadDatasets(), loadJobs()]);
  } catch (error) {
    elements.datasets.replaceChildren();
    elements.jobs.replaceChildren();
    reportError(error);
  }
}

function renderTokenState() {
  elements.tokenState.textContent = getToken() ? '已设置令牌 (token set)' : '未设置令牌 (no token)';
}

elements.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setToken(elements.tokenInput.value);
  elements.tokenInput.value = '';
  load();
});
elements.tokenClear.addEventListener('click', () => {
  setToken('');
  load();
});
elements.refresh.addEventListener('click', () => load());
elements.qaClose.addEventListener('click', () => {
  elements.qaSection.hidden = true;
});

const ready = load();
Object.assign(window, { planmapAdmin: { ready, eventCounts } });
