// keyway's admin page: calls the HTTP API with a client's bearer token (kept in this tab's sessionStorage),
// same origin only. Everything it shows is written with textContent: names and messages are never markup.
// It never asks for a secret's value.
'use strict';

const session = {
  get token() { return sessionStorage.getItem('keyway.token') || ''; },
  get groups() { return sessionStorage.getItem('keyway.groups') || ''; },
  save(token, groups) { sessionStorage.setItem('keyway.token', token); sessionStorage.setItem('keyway.groups', groups); },
  clear() { sessionStorage.removeItem('keyway.token'); sessionStorage.removeItem('keyway.groups'); },
};

async function api(method, path) {
  const headers = { Authorization: 'Bearer ' + session.token };
  if (session.groups) headers['X-Keyway-Groups'] = session.groups;
  const answer = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', redirect: 'error' });
  let body = {};
  try { body = await answer.json(); } catch (_) { body = {}; }
  if (!answer.ok) {
    const message = body.error && body.error.message ? body.error.message : 'HTTP ' + answer.status;
    const error = new Error(message);
    error.status = answer.status;
    throw error;
  }
  return body;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'onclick') node.addEventListener('click', value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  }
  return node;
}

function table(id, headings, rows) {
  const head = el('tr', {}, ...headings.map((h) => el('th', {}, h)));
  const body = rows.map((cells) => el('tr', {}, ...cells.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c)))));
  return el('table', { id }, el('thead', {}, head), el('tbody', {}, ...body));
}

function say(text, info) {
  const status = document.getElementById('status');
  status.textContent = text || '';
  status.className = info ? 'info' : '';
}

function ago(seconds) {
  if (seconds == null) return '-';
  if (seconds < 120) return Math.round(seconds) + ' s';
  if (seconds < 7200) return Math.round(seconds / 60) + ' min';
  return Math.round(seconds / 3600) + ' h';
}

function time(ms) { return ms ? new Date(ms).toISOString().replace('.000', '') : '-'; }

const views = {
  async managers() {
    const body = await api('GET', '/v1/managers');
    const rows = body.managers.map((m) => [
      m.name, m.plugin, Array.isArray(m.access) ? (m.access.join(', ') || 'everyone') : (m.access || '-'),
      Array.isArray(m.capabilities) ? m.capabilities.join(', ') : (m.capabilities || '-'),
      el('td', { class: m.status === 'ok' ? 'ok' : 'bad' }, m.status), m.allowed ? 'yes' : 'no',
    ]);
    return [el('h2', {}, 'Managers'), el('p', {}, 'Whether each plugin opens with its settings; `keyway check` asks each backend.'), table('managers', ['Manager', 'Plugin', 'Access', 'Capabilities', 'Plugin opens', 'You may use it'], rows)];
  },
  async cache() {
    const body = await api('GET', '/v1/cache');
    const entries = body.entries || [];
    const rows = entries.map((e) => [
      e.manager, e.name, e.selector || 'latest', e.version_id || '-', e.state || '-', ago(e.age_ms / 1000),
      ago(e.expires_in_ms / 1000), e.hits == null ? '-' : e.hits,
      el('td', {}, el('button', {
        type: 'button', class: 'action', 'data-clear': e.manager + '/' + e.name,
        onclick: () => act('DELETE', '/v1/cache/' + encodeURIComponent(e.manager) + '/' + e.name.split('/').map(encodeURIComponent).join('/'), 'cleared ' + e.manager + '/' + e.name, 'cache'),
      }, 'Clear')),
    ]);
    const clearAll = el('button', { type: 'button', id: 'clear-all', onclick: () => act('DELETE', '/v1/cache', 'cache cleared', 'cache') }, 'Clear all');
    return [el('h2', {}, 'Cached secrets (' + entries.length + ')'), clearAll,
      table('cache', ['Manager', 'Secret', 'Selector', 'Version', 'State', 'Age', 'Expires in', 'Hits', ''], rows)];
  },
  async approvals() {
    const body = await api('GET', '/v1/approvals');
    const rows = body.approvals.map((a) => {
      const approvals = (a.votes || []).filter((v) => v.decision === 'approve').length;
      return [
        a.id, a.manager + '/' + a.name, a.operation, a.state, a.requester, approvals + ' of ' + a.quorum,
        a.fingerprint ? a.fingerprint.slice(0, 16) : '-', time(a.expires_at),
        el('td', {},
          el('button', { type: 'button', class: 'action', 'data-approve': a.id, onclick: () => act('POST', '/v1/approvals/' + encodeURIComponent(a.id) + '/approve', 'approved ' + a.id, 'approvals') }, 'Approve'),
          el('button', { type: 'button', class: 'action', 'data-reject': a.id, onclick: () => act('POST', '/v1/approvals/' + encodeURIComponent(a.id) + '/reject', 'rejected ' + a.id, 'approvals') }, 'Reject')),
      ];
    });
    return [el('h2', {}, 'Waiting for approval (' + rows.length + ')'),
      table('approvals', ['Request', 'Secret', 'Operation', 'State', 'Requested by', 'Approvals', 'New fingerprint', 'Expires', ''], rows)];
  },
  async errors() {
    const body = await api('GET', '/v1/errors?limit=200');
    const rows = body.errors.map((e) => [time(e.at), e.manager + '/' + e.name, e.operation, e.kind, e.message]);
    return [el('h2', {}, 'Error history'), table('errors', ['When', 'Secret', 'Operation', 'Kind', 'Message'], rows)];
  },
  async compliance() {
    const body = await api('GET', '/v1/compliance');
    const rows = body.findings.map((f) => [f.profile, f.manager + '/' + f.name, f.rule, f.blocking ? 'blocking' : 'advisory', f.problem]);
    return [el('h2', {}, 'Compliance findings (' + rows.length + ')'), table('compliance', ['Profile', 'Secret', 'Rule', 'Severity', 'Finding'], rows)];
  },
};

let current = 'managers';

async function show(name) {
  current = name;
  for (const button of document.querySelectorAll('nav button[data-view]')) {
    button.classList.toggle('active', button.dataset.view === name);
  }
  const view = document.getElementById('view');
  try {
    const nodes = await views[name]();
    view.replaceChildren(...nodes);
    view.dataset.loaded = name;
  } catch (error) {
    if (error.status === 401) { signOut('the token was refused: sign in again'); return; }
    view.replaceChildren();
    view.dataset.loaded = name;
    say(error.message);
  }
}

async function act(method, path, done, then) {
  try {
    const body = await api(method, path);
    say(body.outcome ? done + ' (' + body.outcome + ')' : done, true);
  } catch (error) {
    say(error.message);
  }
  await show(then);
}

function signOut(message) {
  session.clear();
  document.getElementById('nav').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('view').replaceChildren();
  say(message || '');
}

function signedIn() {
  document.getElementById('login').hidden = true;
  document.getElementById('nav').hidden = false;
  say('');
  show(current);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('login').addEventListener('submit', (event) => {
    event.preventDefault();
    session.save(document.getElementById('token').value.trim(), document.getElementById('groups').value.trim());
    document.getElementById('token').value = '';
    document.getElementById('groups').value = '';
    signedIn();
  });
  document.getElementById('logout').addEventListener('click', () => signOut('signed out'));
  for (const button of document.querySelectorAll('nav button[data-view]')) {
    button.addEventListener('click', () => show(button.dataset.view));
  }
  if (session.token) signedIn();
});
