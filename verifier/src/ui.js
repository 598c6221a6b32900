// The page: load a bundle or a lot (file, drop, ?bundle= / ?lot= URL), name the node and the
// trusted registries, then watch the checks fill in and read the conclusion.
import { verifyBundle } from './bundle.js';
import { lotMaterial, verifyLot } from './lot.js';
import { OUTCOME, Report } from './report.js';
import { RpcClient } from './rpc.js';
import { TrustRoots, parseRegistryList, parseTrustFile } from './trust.js';

const DEFAULT_RPC = 'http://127.0.0.1:8545';
const RPC_KEY = 'sandan.verifier.rpcUrl';

const BANNERS = {
  [OUTCOME.AUTHENTIC]: ['AUTHENTIC', 'Every check passed against the chain.'],
  [OUTCOME.NOT_AUTHENTIC]: ['NOT AUTHENTIC', 'Failed:'],
  [OUTCOME.VERDICT_MISMATCH]: [
    'GENUINE DOCUMENTS, VERDICT MISMATCH',
    'The documents are genuinely signed and anchored, but the verdict recorded on chain for this trade is a mismatch.',
  ],
  [OUTCOME.UNREACHABLE]: ['CHAIN UNREACHABLE', 'Nothing was concluded; check the RPC URL and try again.'],
  [OUTCOME.UNUSABLE]: ['CANNOT READ THIS FILE', ''],
};
const MARKS = { pending: '…', ok: '✓', fail: '✗', skip: '–', note: 'ℹ' };

function storage(win) {
  try {
    return win.localStorage;
  } catch {
    return null; // file:// pages in some browsers, or storage switched off
  }
}

/** What kind of material `data` is: "bundle", "lot" or null. */
export function materialKind(data) {
  if (data === null || typeof data !== 'object') return null;
  if (typeof data.format === 'string' && data.format.startsWith('sandan-bundle/')) return 'bundle';
  if (lotMaterial(data)?.format === 'sandan-lot/1') return 'lot';
  if (Array.isArray(data.documents)) return 'bundle';
  return null;
}

class Page {
  constructor(doc, win) {
    this.doc = doc;
    this.win = win;
    this.el = (id) => doc.getElementById(id);
    this.material = null;
    this.zones = [];
    this.rows = new Map();
    this.groups = new Map();
  }

  start() {
    const store = storage(this.win);
    this.el('rpc-url').value = store?.getItem(RPC_KEY) || DEFAULT_RPC;
    this.el('rpc-url').addEventListener('change', () => store?.setItem(RPC_KEY, this.el('rpc-url').value.trim()));
    this.el('bundle-file').addEventListener('change', (e) => this.readFile(e.target.files[0], 'material'));
    this.el('trust-file').addEventListener('change', (e) => this.readFile(e.target.files[0], 'trust'));
    const drop = this.el('drop-zone');
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      this.readFile(e.dataTransfer.files[0], 'material');
    });
    this.el('verify').addEventListener('click', () => this.run());
    return this.fromQuery();
  }

  async fromQuery() {
    const params = new URLSearchParams(this.win.location.search);
    const registries = params.getAll('registry').filter(Boolean);
    if (registries.length) {
      this.el('registries').value = registries.join('\n');
      this.el('registry-origin').hidden = false;
    }
    const url = params.get('bundle') || params.get('lot');
    if (!url) return;
    this.setStatus('material-status', `Fetching ${url} …`);
    try {
      const response = await this.win.fetch(url, { headers: { Accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.setMaterial(await response.json(), url);
    } catch (error) {
      this.setStatus('material-status', `Could not fetch ${url}: ${error.message}`, true);
      return;
    }
    if (this.el('registries').value.trim()) await this.run();
  }

  readFile(file, what) {
    if (!file) return Promise.resolve();
    return file.text().then((text) => {
      let data;
      try {
        data = JSON.parse(text);
      } catch (error) {
        this.setStatus(what === 'trust' ? 'trust-status' : 'material-status', `${file.name} is not JSON: ${error.message}`, true);
        return;
      }
      if (what === 'trust') this.setTrust(data, file.name);
      else this.setMaterial(data, file.name);
    });
  }

  setMaterial(data, source) {
    const kind = materialKind(data);
    this.material = kind ? { kind, data, source } : null;
    if (!kind) return this.setStatus('material-status', `${source} is neither a sandan bundle nor a lot's verification material`, true);
    const what = kind === 'bundle' ? `trade bundle ${data.ebpCode ?? ''}/${data.orderNo ?? ''}` : `lot ${lotMaterial(data).lotId ?? ''}`;
    return this.setStatus('material-status', `Loaded ${what} from ${source}`);
  }

  setTrust(data, source) {
    try {
      this.zones = parseTrustFile(data);
    } catch (error) {
      this.zones = [];
      return this.setStatus('trust-status', `${source}: ${error.message}`, true);
    }
    const names = this.zones.map((z) => `${z.name || 'zone'} (chain ${z.chainId}, ${z.registries.length})`).join(', ');
    return this.setStatus('trust-status', `Trust file ${source}: ${names}`);
  }

  setStatus(id, text, error = false) {
    const el = this.el(id);
    el.textContent = text;
    el.classList.toggle('error', error);
  }

  trustRoots() {
    return new TrustRoots({ registries: parseRegistryList(this.el('registries').value), zones: this.zones });
  }

  async run() {
    this.setStatus('form-error', '');
    if (!this.material) return this.setStatus('form-error', 'Choose a bundle or a lot file first.', true);
    let trust;
    try {
      trust = this.trustRoots();
    } catch (error) {
      return this.setStatus('form-error', `Trusted registries: ${error.message}`, true);
    }
    if (trust.empty) return this.setStatus('form-error', 'Name at least one trusted registry (or load a trust file): trust is never read from the bundle.', true);
    const url = this.el('rpc-url').value.trim();
    storage(this.win)?.setItem(RPC_KEY, url);
    this.reset();
    const report = new Report((item) => this.render(item));
    const verify = this.material.kind === 'bundle' ? verifyBundle : verifyLot;
    this.el('verify').disabled = true;
    this.showBanner('running', 'CHECKING…', `against ${url}`);
    this.showReasons([]);
    try {
      await verify(this.material.data, { rpc: new RpcClient(url), trust, report });
    } catch (error) {
      report.unusable = error.message;
    } finally {
      this.el('verify').disabled = false;
    }
    this.conclude(report, url);
    this.win.sandanLastReport = report.toJSON();
    return report;
  }

  reset() {
    this.el('checks').replaceChildren();
    this.rows.clear();
    this.groups.clear();
  }

  group(name) {
    if (!this.groups.has(name)) {
      const section = this.doc.createElement('li');
      section.className = 'group';
      section.dataset.group = name;
      const title = this.doc.createElement('h3');
      title.textContent = name;
      const list = this.doc.createElement('ol');
      section.append(title, list);
      // The chain and trust checks come after the local ones but matter most: list them
      // right after the format group, whenever they start.
      const first = this.el('checks').firstElementChild;
      if (name === 'chain' && first) first.after(section);
      else this.el('checks').append(section);
      this.groups.set(name, list);
    }
    return this.groups.get(name);
  }

  render(item) {
    let row = this.rows.get(item.id);
    if (!row) {
      row = this.doc.createElement('li');
      row.dataset.testid = item.status === 'note' ? 'note' : 'check';
      row.setAttribute('data-testid', row.dataset.testid);
      this.rows.set(item.id, row);
      this.group(item.group).append(row);
    }
    row.className = `check ${item.status}`;
    row.dataset.status = item.status;
    row.dataset.name = item.name;
    const mark = this.doc.createElement('span');
    mark.className = 'mark';
    mark.textContent = MARKS[item.status];
    const name = this.doc.createElement('span');
    name.className = 'name';
    name.textContent = item.name;
    const parts = [mark, name];
    if (item.status === 'fail' && item.expected !== null) parts.push(this.detail('expected', item.expected), this.detail('found', item.found));
    else if (item.found) parts.push(this.detail(null, item.found));
    row.replaceChildren(...parts);
  }

  detail(label, text) {
    const el = this.doc.createElement('span');
    el.className = `detail${label ? ` ${label}` : ''}`;
    if (label) {
      const tag = this.doc.createElement('b');
      tag.textContent = `${label}: `;
      el.append(tag);
    }
    el.append(text ?? '');
    return el;
  }

  showReasons(reasons) {
    const list = this.el('banner-reasons');
    list.replaceChildren(...reasons.map((reason) => {
      const item = this.doc.createElement('li');
      item.textContent = reason;
      return item;
    }));
    list.hidden = reasons.length === 0;
  }

  showBanner(outcome, title, text) {
    const banner = this.el('banner');
    banner.hidden = false;
    banner.dataset.outcome = outcome;
    this.el('banner-title').textContent = title;
    this.el('banner-text').textContent = text;
  }

  conclude(report, url) {
    const outcome = report.outcome();
    const [title, lead] = BANNERS[outcome];
    let text = lead;
    if (outcome === OUTCOME.NOT_AUTHENTIC) {
      const failed = report.failed().map((c) => `${c.group === 'chain' || c.group === 'bundle' ? '' : `${c.group}: `}${c.name}`);
      text = `${lead} ${failed.join('; ') || 'no check could run'}.`;
    } else if (outcome === OUTCOME.UNREACHABLE) text = `${lead} (${report.unreachable})`;
    else if (outcome === OUTCOME.UNUSABLE) text = report.unusable;
    else if (outcome === OUTCOME.AUTHENTIC) text = `${lead} (${url})`;
    this.showBanner(outcome, title, text);
    this.showReasons(outcome === OUTCOME.VERDICT_MISMATCH ? mismatchReasons(this.material.data) : []);
    this.el('recalled').hidden = !report.recalled;
  }
}

/**
 * The failed rules of a mismatched verdict, as the verdict states them. They can be trusted
 * as far as the verdict hash goes: it was checked against the one recorded on chain.
 */
function mismatchReasons(bundle) {
  const failures = bundle?.verdict?.verdict?.failures;
  if (!Array.isArray(failures) || failures.length === 0) return ['the recorded verdict is a mismatch'];
  return failures.map((f) => `${f.rule} (${f.document}.${f.field}): expected ${JSON.stringify(f.expected)}, found ${JSON.stringify(f.actual)}`);
}

/** Wire the page in `doc`; resolves once any ?bundle= / ?lot= material is loaded (and checked). */
export function startPage(doc, win) {
  const page = new Page(doc, win);
  win.sandanPage = page;
  win.sandanReady = page.start();
  return page;
}
