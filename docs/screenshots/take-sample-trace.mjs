// Takes docs/images/dashboard-resources-kvs.png and dashboard-sample-app-trace.png from a running AppHost:
// the Resources page with the kvs cluster resource (nodes under it, node-4 idle), and one request to
// the sample app whose trace shows the app's span, the client's span and the owning node's span.
//
//   DASHBOARD_LOGIN_URL='http://localhost:15888/login?t=...' SAMPLE_API_URL='http://localhost:PORT' node take-sample-trace.mjs
//
// SAMPLE_API_URL is sample-api's http endpoint as the dashboard's Resources page lists it.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const loginUrl = process.env.DASHBOARD_LOGIN_URL;
const sampleApi = process.env.SAMPLE_API_URL;
if (!loginUrl || !sampleApi) {
  console.error('Set DASHBOARD_LOGIN_URL and SAMPLE_API_URL.');
  process.exit(2);
}
const outDir = process.env.OUT_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'images');
const dashboard = new URL('/', loginUrl).href;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const key = `note-${Date.now()}`;
const put = await fetch(`${sampleApi}/notes/${key}`, {
  method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'seen in one trace' }),
});
if (!put.ok) throw new Error(`PUT /notes/${key}: ${put.status}`);
console.log(`PUT /notes/${key}: ${put.status}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
await page.goto(loginUrl);
await sleep(4000);
await page.goto(new URL('/', dashboard).href);
await sleep(4000);
await page.screenshot({ path: path.join(outDir, 'dashboard-resources-kvs.png') });

await page.goto(new URL('/traces', dashboard).href);
await sleep(4000);
await page.getByText(`PUT /notes/{key}`).first().click();
await sleep(4000);
await page.screenshot({ path: path.join(outDir, 'dashboard-sample-app-trace.png') });
await browser.close();
console.log(`screenshots in ${outDir}`);
