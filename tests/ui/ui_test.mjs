// lrod's /ui page in a real browser: headless Chromium (Debian's chromium package) driven by
// puppeteer-core, against the real lrod (LROD=path/to/lrod) with --auth and the demo service.
//   LROD=build/apps/lrod/lrod node --test tests/ui/ui_test.mjs
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const LROD = process.env.LROD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BOUND_MS = 30_000;  // every wait is a condition with this bound, never a sleep
const XSS = '<img src=x onerror=alert(1)>';

let lrod;
let base;
let browser;
const work = mkdtempSync(join(tmpdir(), 'lrod-ui-'));

async function startLrod() {
  assert.ok(LROD, 'set LROD to the lrod binary');
  writeFileSync(join(work, 'tokens.json'),
                JSON.stringify({ tokens: { 'token-alice': 'alice', 'token-bob-1': 'bob' } }));
  lrod = spawn(LROD, ['--listen', '127.0.0.1:0', '--store', 'sqlite:' + join(work, 'lrod.db'),
                      '--demo', '--auth', join(work, 'tokens.json'), '--inline-budget', '0',
                      '--retry-after', 'Item.Create=0', '--no-fsync'],
               { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('lrod did not listen: ' + log)), BOUND_MS);
    lrod.stderr.on('data', (chunk) => {
      log += chunk;
      const match = /"msg":"listening","address":"127\.0\.0\.1:(\d+)"/.exec(log);
      if (match && !base) {
        clearTimeout(timer);
        base = 'http://127.0.0.1:' + match[1];
        resolve();
      }
    });
    lrod.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error('lrod exited with ' + code + ': ' + log));
    });
  });
}

async function call(token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response;
}

// Creates a demo item as `token`'s principal; returns the operation id.
async function create(token, displayName, demo) {
  const response = await call(token, 'POST', '/v1/workspaces/ui/items',
                              { displayName, type: 'Notebook', demo });
  assert.equal(response.status, 202, await response.text());
  return response.headers.get('x-ms-operation-id');
}

async function waitStatus(token, id, wanted) {
  const deadline = Date.now() + BOUND_MS;
  while (Date.now() < deadline) {
    const state = await (await call(token, 'GET', '/v1/operations/' + id)).json();
    if (state.status === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(id + ' never became ' + wanted);
}

before(async () => {
  await startLrod();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (lrod) lrod.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

test('the operations page: login, isolation, live progress, escaping, cancel', async () => {
  const idle = await create('token-alice', 'idle', { durationMs: 600000, progressSteps: 0 });
  const moving = await create('token-alice', 'moving', { durationMs: 2500, progressSteps: 5 });
  const xss = await create('token-alice', XSS, { durationMs: 1 });
  const secret = await create('token-bob-1', "bob's", { durationMs: 600000, progressSteps: 0 });
  await waitStatus('token-alice', xss, 'Succeeded');

  const page = await browser.newPage();
  const errors = [];
  const alerts = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('dialog', async (dialog) => {
    if (dialog.type() === 'confirm') return dialog.accept();
    alerts.push(dialog.message());
    return dialog.dismiss();
  });

  // No token yet: the page asks for one (the API answered 401).
  await page.goto(base + '/ui', { waitUntil: 'load' });
  await page.waitForSelector('#login:not([hidden])', { timeout: BOUND_MS });
  await page.type('#token', 'token-alice');
  await page.click('#login button[type=submit]');
  await page.waitForSelector(`tr[data-id="${idle}"]`, { timeout: BOUND_MS });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('lrod.token')), 'token-alice');
  assert.ok(!page.url().includes('token'), page.url());

  // Loaded again in this tab, the page takes the token from sessionStorage, and from here on
  // nothing logs an error (the 401 before the login did).
  await page.goto('about:blank');
  errors.length = 0;
  await page.goto(base + '/ui', { waitUntil: 'load' });
  await page.waitForSelector(`tr[data-id="${idle}"]`, { timeout: BOUND_MS });
  assert.equal(await page.$(`tr[data-id="${secret}"]`), null, "bob's operation is listed");

  // Live, from the event stream: an operation created now appears, and the moving one ends,
  // without a reload.
  const late = await create('token-alice', 'late', { durationMs: 600000, progressSteps: 0 });
  await page.waitForSelector(`tr[data-id="${late}"]`, { timeout: BOUND_MS });
  await page.waitForFunction(
      (id) => document.querySelector(`tr[data-id="${id}"] td:nth-child(4)`)?.textContent ===
              'Succeeded',
      { timeout: BOUND_MS }, moving);

  // An item named like markup shows as text.
  await page.click(`tr[data-id="${xss}"]`);
  await page.waitForSelector('#detail-result:not([hidden])', { timeout: BOUND_MS });
  await page.click('#detail-result');
  await page.waitForFunction(
      (name) => [...document.querySelectorAll('#detail dd')].some(
          (dd) => dd.textContent.includes(name)),
      { timeout: BOUND_MS }, XSS);
  assert.equal(await page.$('#detail img'), null, 'markup from a displayName was rendered');

  // Cancel, confirmed: the operation ends (Fabric: Failed with OperationCanceled).
  await page.click(`tr[data-id="${idle}"]`);
  await page.waitForSelector('#cancel:not([hidden])', { timeout: BOUND_MS });
  await page.click('#cancel');
  await page.waitForFunction(
      () => [...document.querySelectorAll('#detail dd')].some(
          (dd) => dd.textContent === 'OperationCanceled'),
      { timeout: BOUND_MS });
  await waitStatus('token-alice', idle, 'Failed');

  assert.deepEqual(alerts, [], 'a dialog other than the cancel confirmation opened');
  assert.deepEqual(errors, [], 'console errors');
  await page.screenshot({ path: join(work, 'ui.png') });
  if (process.env.LRO_UI_SCREENSHOT) {
    await page.screenshot({ path: process.env.LRO_UI_SCREENSHOT, fullPage: true });
  }
});

test('the operations page: newest first across pages, each row named, names as text', async () => {
  // With the first test's four, more operations than one page (25) holds.
  for (let i = 0; i < 26; i++) {
    await create('token-alice', 'bulk ' + String(i).padStart(2, '0'), { durationMs: 0 });
  }
  // The order to expect, from the list endpoint (its order is tested over HTTP and on both
  // stores): two pages of 25, newest first.
  const pages = [];
  let token = '';
  for (let i = 0; i < 2; i++) {
    const query = new URLSearchParams({ top: '25', order: 'desc' });
    if (token) query.set('continuationToken', token);
    const body = await (await call('token-alice', 'GET', '/v1/operations?' + query)).json();
    pages.push(body.value);
    token = body.continuationToken || '';
  }
  const listed = pages.flat();
  assert.equal(listed.length, 30);  // the first test's 4 and these 26; never bob's
  for (let i = 1; i < listed.length; i++) {
    assert.ok(listed[i - 1].createdTimeUtc >= listed[i].createdTimeUtc, 'not newest first');
  }

  const page = await browser.newPage();
  await page.evaluateOnNewDocument(() => sessionStorage.setItem('lrod.token', 'token-alice'));
  await page.goto(base + '/ui', { waitUntil: 'load' });
  const rows = () => page.$$eval('#operations tbody tr',
                                 (trs) => trs.map((tr) => [tr.dataset.id,
                                                           tr.querySelector('td.name').textContent]));
  const shown = async (expected) => {
    await page.waitForFunction(
        (first, count) => {
          const trs = document.querySelectorAll('#operations tbody tr');
          return trs.length === count && trs[0].dataset.id === first;
        },
        { timeout: BOUND_MS }, expected[0].id, expected.length);
    assert.deepEqual(await rows(), expected.map((op) => [op.id, op.displayName]));
  };
  await shown(pages[0]);
  assert.equal(pages[0][0].displayName, 'bulk 25');  // the newest on top
  await page.click('#next');
  await shown(pages[1]);
  // The first test's markup-like name is on the second page, as text.
  const named = (await rows()).find(([, name]) => name === XSS);
  assert.ok(named, 'the item named like markup is not listed by name');
  assert.equal(await page.$('#operations img'), null, 'markup from a displayName was rendered');
  await page.close();
});
