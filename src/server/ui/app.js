// lrod's operations page. Every value from the server is shown with textContent (never as
// HTML); the bearer token lives in sessionStorage and only ever travels in an Authorization
// header. Rows change live from the server-sent events of /v1/operations/events (read with
// fetch: EventSource cannot send the header); an open operation is followed with
// `Prefer: wait` (lrod holds the read until its state changes).
'use strict';

const PAGE_SIZE = 25;
const RETRY_MS = 2000;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Canceled']);

const state = {
  token: sessionStorage.getItem('lrod.token') || '',
  status: '',
  type: '',
  pageTokens: [''],  // continuation token of each page seen, '' for the first
  page: 0,
  next: '',
  openId: '',
  follow: 0,  // generation of the open operation's follower
  listening: false,
  reload: 0,  // a pending debounced load()
};

const $ = (id) => document.getElementById(id);

function say(text) { $('message').textContent = text; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  const response = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
  if (response.status === 401) {
    $('login').hidden = false;
    throw new Error('A bearer token is required.');
  }
  return response;
}

async function errorText(response) {
  try {
    const body = await response.json();
    const error = body.error || body;
    return (error.errorCode || error.code || response.status) + ': ' + (error.message || '');
  } catch (e) {
    return 'HTTP ' + response.status;
  }
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function bar(percent) {
  const outer = document.createElement('div');
  outer.className = 'bar';
  const inner = document.createElement('div');
  inner.style.width = Math.max(0, Math.min(100, Number(percent) || 0)) + '%';
  outer.appendChild(inner);
  outer.title = (percent == null ? 0 : percent) + '%';
  return outer;
}

function when(text) {
  if (!text) return '';
  const date = new Date(text);
  return isNaN(date) ? String(text) : date.toLocaleString();
}

function duration(from, to) {
  const ms = new Date(to) - new Date(from);
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function rowFor(op) {
  const row = document.createElement('tr');
  row.dataset.id = op.id;
  cell(row, op.id, 'id');
  cell(row, op.displayName || '', 'name');
  cell(row, op.type);
  cell(row, op.status, 'status-' + op.status);
  cell(row, '').appendChild(bar(op.percentComplete));
  cell(row, when(op.createdTimeUtc));
  cell(row, when(op.lastUpdatedTimeUtc));
  cell(row, duration(op.createdTimeUtc,
                     TERMINAL.has(op.status) ? op.lastUpdatedTimeUtc : new Date().toISOString()));
  row.addEventListener('click', () => open(op.id));
  return row;
}

function render(operations) {
  const rows = document.createDocumentFragment();
  // Newest first across pages: the list endpoint pages that way (order=desc).
  for (const op of operations) rows.appendChild(rowFor(op));
  $('operations').tBodies[0].replaceChildren(rows);
}

// One state change from the stream: its row is replaced in place; an operation not shown
// yet reloads the first page (debounced, so a burst of changes costs one list read).
function apply(op) {
  const shown = document.querySelector(`tr[data-id="${CSS.escape(op.id)}"]`);
  if (shown) {
    shown.replaceWith(rowFor(op));
  } else if (state.page === 0 && !state.reload) {
    state.reload = setTimeout(() => { state.reload = 0; load(); }, 250);
  }
}

// Reads the caller's event stream for as long as the page is open; after a drop it
// reconnects and catches up from the list endpoint.
async function listen() {
  if (state.listening) return;
  state.listening = true;
  try {
    for (;;) {
      const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
      try {
        const response = await fetch('/v1/operations/events', { headers, cache: 'no-store' });
        if (response.status === 401) return;  // listen() again after the login
        if (response.ok && response.body) {
          load();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const data = buffer.slice(0, end).split('\n')
                  .filter((line) => line.startsWith('data: '))
                  .map((line) => line.slice(6)).join('\n');
              buffer = buffer.slice(end + 2);
              if (data) apply(JSON.parse(data));
            }
          }
        }
      } catch (e) {
        // dropped: reconnect below
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  } finally {
    state.listening = false;
  }
}

async function load() {
  const query = new URLSearchParams({ top: String(PAGE_SIZE), order: 'desc' });
  if (state.status) query.set('status', state.status);
  if (state.type) query.set('type', state.type);
  const token = state.pageTokens[state.page];
  if (token) query.set('continuationToken', token);
  try {
    const response = await api('/v1/operations?' + query);
    if (!response.ok) return say(await errorText(response));
    const page = await response.json();
    render(page.value || []);
    state.next = page.continuationToken || '';
    $('previous').disabled = state.page === 0;
    $('next').disabled = !state.next;
    $('page').textContent = 'page ' + (state.page + 1);
    $('signout').hidden = !state.token;
    say('');
  } catch (e) {
    say(e.message);
  }
}

function field(list, name, value) {
  if (value === undefined || value === null || value === '') return;
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  list.append(dt, dd);
}

function showState(id, op) {
  $('detail-id').textContent = id;
  const list = $('detail-fields');
  list.replaceChildren();
  field(list, 'Status', op.status);
  field(list, 'Progress', op.percentComplete == null ? '' : op.percentComplete + '%');
  field(list, 'Created', when(op.createdTimeUtc || op.createdDateTime));
  field(list, 'Updated', when(op.lastUpdatedTimeUtc || op.lastUpdatedDateTime));
  const error = op.error;
  if (error) {
    field(list, 'Error code', error.errorCode || error.code);
    field(list, 'Error message', error.message);
    field(list, 'Error details', error.moreDetails || error.details);
  }
  $('cancel').hidden = TERMINAL.has(op.status);
  $('detail-result').hidden = op.status !== 'Succeeded';
  $('detail').hidden = false;
}

async function showResult(id) {
  const response = await api('/v1/operations/' + encodeURIComponent(id) + '/result');
  const text = response.ok ? await response.text() : await errorText(response);
  field($('detail-fields'), 'Result', text);
  $('detail-result').hidden = true;
}

// Shows operation `id` and follows it until it ends or another one is opened.
async function open(id) {
  state.openId = id;
  const generation = ++state.follow;
  let prefer = '';
  while (generation === state.follow) {
    try {
      const headers = prefer ? { Prefer: prefer } : {};
      const response = await api('/v1/operations/' + encodeURIComponent(id), { headers });
      if (generation !== state.follow) return;
      if (!response.ok) return say(await errorText(response));
      const op = await response.json();
      showState(id, op);
      if (TERMINAL.has(op.status)) return;
      // Ask lrod to hold the next read until the state changes; a server that did not apply the
      // preference is polled.
      if (!response.headers.get('Preference-Applied')) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
      prefer = 'wait=30';
    } catch (e) {
      return say(e.message);
    }
  }
}

async function cancel() {
  const id = state.openId;
  if (!id || !window.confirm('Cancel operation ' + id + '?')) return;
  const response = await api('/v1/operations/' + encodeURIComponent(id) + ':cancel',
                             { method: 'POST' });
  if (!response.ok) say(await errorText(response));
  load();
}

function init() {
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.status = $('status').value;
    state.type = $('type').value.trim();
    state.pageTokens = [''];
    state.page = 0;
    load();
  });
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    state.token = $('token').value;
    sessionStorage.setItem('lrod.token', state.token);
    $('token').value = '';
    $('login').hidden = true;
    load();
    listen();
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem('lrod.token');
    state.token = '';
    location.reload();
  });
  $('previous').addEventListener('click', () => {
    if (state.page > 0) state.page--;
    load();
  });
  $('next').addEventListener('click', () => {
    if (!state.next) return;
    state.pageTokens[state.page + 1] = state.next;
    state.page++;
    load();
  });
  $('detail-result').addEventListener('click', (event) => {
    event.preventDefault();
    showResult(state.openId);
  });
  $('detail-result').href = '#';
  $('cancel').addEventListener('click', cancel);
  $('close').addEventListener('click', () => {
    state.follow++;
    state.openId = '';
    $('detail').hidden = true;
  });
  load();
  listen();
}

document.addEventListener('DOMContentLoaded', init);
