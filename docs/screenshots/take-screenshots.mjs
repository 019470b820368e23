// Takes the dashboard screenshots in docs/images from a running ShardedKvs AppHost.
//
//   dotnet run --project ShardedKvs.AppHost                      # prints "Login to the dashboard at ..."
//   cd docs/screenshots && npm install                          # playwright-core only, no browser download
//   DASHBOARD_LOGIN_URL='http://localhost:15888/login?t=...' node take-screenshots.mjs
//
// Environment:
//   DASHBOARD_LOGIN_URL  the login URL the AppHost prints (required)
//   KVS_BASE_PORT        node-1's port (default 13801; node-i listens on KVS_BASE_PORT + i - 1)
//   CHROMIUM             browser executable (default /usr/bin/chromium; Debian: apt-get install chromium)
//   OUT_DIR              where the PNGs go (default ../images, i.e. docs/images)
//
// What it does: writes 200 keys through node-1 and reads them through node-2 (most are forwarded),
// opens node-4's actions menu on the Resources page (screenshot), runs its "Add to view" command,
// then opens the view-change trace and one forwarded GET trace on the Traces page (screenshots).
// If node-4 is already in the view (a second run), it first runs node-4's "Remove from view".
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const loginUrl = process.env.DASHBOARD_LOGIN_URL;
if (!loginUrl) {
  console.error('Set DASHBOARD_LOGIN_URL to the "Login to the dashboard at ..." URL the AppHost prints.');
  process.exit(2);
}
const basePort = Number(process.env.KVS_BASE_PORT ?? 13801);
const node = (i) => `http://localhost:${basePort + i - 1}`;
const node4Address = `localhost:${basePort + 3}`;
const outDir = process.env.OUT_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'images');
const dashboard = new URL('/', loginUrl).href;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function view() {
  const res = await fetch(`${node(1)}/kvs/view`);
  return res.json();
}

async function waitFor(what, predicate, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

// --- 1. The cluster serves; send traffic -------------------------------------------------------
await waitFor('node-1 to serve', async () => (await view()).state === 'serving', 120_000);
for (let i = 1; i <= 200; i++) {
  const res = await fetch(`${node(1)}/kvs/keys/key-${i}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: `value-${i}` }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT key-${i}: ${res.status}`);
}
for (let i = 1; i <= 50; i++) await (await fetch(`${node(2)}/kvs/keys/key-${i}`)).text();
console.log('traffic sent: 200 PUTs through node-1, 50 GETs through node-2');

// --- 2. Browser ---------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });

async function openResources() {
  await page.goto(dashboard);
  await page.getByText('node-4').first().waitFor();
  await page.waitForTimeout(1500);
  // The "No trusted development certificate" banner is noise on a machine without a dev cert.
  const dismiss = page.locator('fluent-button[aria-label="Dismiss notification"]');
  if (await dismiss.count()) await dismiss.first().click();
}

async function openNode4Commands() {
  await page.locator('[role=row]', { hasText: 'node-4' }).locator('fluent-button[aria-label="Actions"]').click();
  await page.locator('fluent-menu-item:visible', { hasText: 'Commands' }).first().hover();
  await page.locator('fluent-menu-item:visible', { hasText: 'Add to view' }).last().waitFor();
  await page.waitForTimeout(800);
}

async function runNode4Command(label) {
  await page.locator('fluent-menu-item:visible', { hasText: label }).last().click();
  // "Remove from view" asks for confirmation first.
  const yes = page.locator('fluent-button:visible', { hasText: /^\s*Yes\s*$/ });
  await page.waitForTimeout(1000);
  if (await yes.count()) await yes.first().click();
}

await page.goto(loginUrl);
await openResources();

if ((await view()).view.split(',').includes(node4Address)) {
  console.log('node-4 is already in the view: removing it first');
  await openNode4Commands();
  await runNode4Command('Remove from view');
  await waitFor('node-4 to leave the view', async () => !(await view()).view.split(',').includes(node4Address));
  await openResources();
}

// --- 3. Resources page with node-4's commands open ---------------------------------------------
await openNode4Commands();
await page.screenshot({ path: path.join(outDir, 'dashboard-resources.png') });
console.log('saved dashboard-resources.png');

// --- 4. Add node-4 to the view from the dashboard ------------------------------------------------
await runNode4Command('Add to view');
await waitFor('node-4 to join the view', async () => (await view()).view.split(',').includes(node4Address));
await page.getByText('"Add to view" succeeded').first().waitFor({ timeout: 30_000 }).catch(() => {});
console.log('view is now', (await view()).view);

// Fresh forwarded reads, after the change (keys owned by node-1, node-3 or node-4 are forwarded).
for (let i = 1; i <= 20; i++) await (await fetch(`${node(2)}/kvs/keys/key-${i}`)).text();
await page.waitForTimeout(5000); // let the nodes export their spans

// --- 5. The view-change trace ---------------------------------------------------------------------
// The dashboard names a trace after its first span. When the change comes from the "Add to view"
// command, the first spans are the command's GET /kvs/view on every node, so filter on "/kvs/view"
// and take the newest trace with node-4 in it and many spans (a "Show view" has only 4).
async function traceRows(filter) {
  await page.goto(new URL('/traces', dashboard).href);
  await page.locator('[role=row]').nth(1).waitFor();
  await page.getByPlaceholder('Filter...').first().click();
  await page.keyboard.type(filter);
  await page.waitForTimeout(2500);
  const rows = page.locator('[role=row]');
  const found = [];
  for (let i = 0; i < await rows.count(); i++) {
    const text = await rows.nth(i).innerText();
    const counts = [...text.matchAll(/node-(\d) \((\d+)\)/g)].map((m) => ({ node: m[1], spans: Number(m[2]) }));
    if (counts.length) found.push({ row: rows.nth(i), text, counts, spans: counts.reduce((s, c) => s + c.spans, 0) });
  }
  return found;
}

async function openTrace(row) {
  await row.locator('[role=gridcell]').nth(1).click();
  await page.waitForURL(/\/traces\/detail\//);
  await page.getByText('Total spans').first().waitFor();
  await page.waitForTimeout(2000);
}

const viewChanges = (await traceRows('/kvs/view')).filter((r) => r.spans >= 12 && r.counts.some((c) => c.node === '4'));
if (!viewChanges.length) throw new Error('no view-change trace found');
await openTrace(viewChanges[viewChanges.length - 1].row); // rows are oldest first
// Tall enough for every span of a 3-to-4-node change (about 48 rows).
const spanRows = await page.locator('[role=row]').count();
await page.setViewportSize({ width: 1600, height: Math.min(2400, Math.max(1000, 140 + spanRows * 32)) });
await page.waitForTimeout(1500);
await page.screenshot({ path: path.join(outDir, 'dashboard-view-change-trace.png') });
console.log(`saved dashboard-view-change-trace.png (${page.url()})`);

// --- 6. A forwarded GET ---------------------------------------------------------------------------
await page.setViewportSize({ width: 1600, height: 1000 });
const forwards = (await traceRows('GET /kvs/keys')).filter((r) => r.counts.length === 2 && r.counts[0].node === '2');
if (forwards.length) {
  await openTrace(forwards[forwards.length - 1].row);
  await page.setViewportSize({ width: 1600, height: 560 });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(outDir, 'dashboard-forward-trace.png') });
  console.log(`saved dashboard-forward-trace.png (${page.url()})`);
} else {
  console.warn('no forwarded GET trace found; skipped dashboard-forward-trace.png');
}

await browser.close();
