/**
 * Issue #12's "done when", in a real browser: a practice manager, given the console's URL and a
 * key, sets up the demo's exercise practice (DemoExercise: mistyped credentials, nothing mapped)
 * from empty to offered slots in the console alone — sign in, fix the failing connection, map a
 * duplicate and see red rows and nothing saved, map correctly, sync, see slots offered, and run
 * "why isn't this slot offered?". Chromium (Debian's, through playwright-core) against the real
 * server listening on a port, on the test database; the EMIS sandbox over HTTP.
 *
 * Screenshots of each tab go to .tap/console-screenshots/ (two of them are in docs/console.md).
 * It runs once: CI's second pass (SLOTBRIDGE_TEST_SKIP_SLOW) skips it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createTestSlotbridge } from '@slotbridge/core/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { buildApp } from '../src/app.ts';
import { startDemo } from '../src/demo.ts';
import { loadPlugins } from '../src/plugins.ts';
import { repositoryPluginList, repositoryRoot } from './helpers/plugin-list.ts';

const skip = process.env.SLOTBRIDGE_TEST_SKIP_SLOW ? 'ran in the first pass (a browser, once)' : false;
const executablePath = process.env.SLOTBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
const shots = path.join(repositoryRoot, '.tap', 'console-screenshots');

t.test('a practice manager sets a practice up in the console, in Chromium', { skip }, async (t) => {
  if (!existsSync(executablePath)) {
    t.fail(
      `No Chromium at ${executablePath}: npm test installs Debian's chromium, or set SLOTBRIDGE_CHROMIUM`,
    );
    return;
  }
  mkdirSync(shots, { recursive: true });
  const list = repositoryPluginList();
  const plugins = await loadPlugins(
    // EMIS for the exercise; GP Connect for a connection form with certificates in it.
    { ...list, specifiers: list.specifiers.filter((s) => /plugin-(emis|gpconnect)/.test(s)) },
    { demo: true },
  );
  const { slotbridge, database } = await createTestSlotbridge();
  const app = await buildApp({ slotbridge, ehrPlugins: plugins.map((p) => p.plugin) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const demo = await startDemo(slotbridge, plugins);
  const exercise = demo.exercise!;
  const browser: Browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(async () => {
    await browser.close();
    await demo.close();
    await app.close();
    await database.drop();
  });
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text()))
      pageErrors.push(message.text());
  });

  /** Our API, as the test checks what the console saved (not through the browser). */
  const api = async (url: string) => {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${demo.partnerKey}` } });
    return res.json();
  };
  const p = `/v1/practices/${exercise.practiceId}`;
  /** Opens a tab and waits until it is drawn (the console is busy until then). */
  const tab = async (name: string) => {
    await page.getByRole('link', { name, exact: true }).click();
    await page
      .locator('main[aria-busy="false"] nav a[aria-current="page"]')
      .filter({ hasText: new RegExp(`^${name.replace(/[?']/g, '.')}$`) })
      .waitFor();
  };
  /** Form controls with no accessible name (a label, aria-label or aria-labelledby). */
  const unlabelled = async () =>
    (await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
        && !(el.id && document.querySelector('label[for="' + el.id + '"]')))
      .map((el) => el.outerHTML.slice(0, 80))`)) as string[];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  await t.test(
    'sign in with a key: a wrong one is refused, the partner key shows its practices',
    async (t) => {
      await page.goto(`${address}/console`);
      await page.getByLabel('API key').fill('sb_not-a-key');
      await page.getByLabel('API key').press('Enter');
      await page.getByText('That key is not valid').waitFor();
      await page.getByLabel('API key').fill(demo.partnerKey);
      await page.getByLabel('API key').press('Enter');
      await page.getByRole('heading', { name: 'Practices', level: 1 }).waitFor();
      t.ok(await page.getByRole('link', { name: demo.practices[0]!.name, exact: true }).isVisible());
      await page.getByRole('link', { name: exercise.name }).click();
      await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    },
  );

  await t.test('the overview shows the failing connection and its fix', async (t) => {
    await page.getByText('The API password has a space at the start or end').first().waitFor();
    t.ok(await page.locator('.facts .badge', { hasText: 'failing' }).isVisible(), 'connection: failing');
    t.match(await page.locator('.checks .fix').first().textContent(), /without spaces/);
    t.same(await unlabelled(), []);
    await shot('overview-failing');
  });

  await t.test('the connection: the EMIS steps, a stray space warned, checks run live', async (t) => {
    await tab('Connection');
    for (const step of [
      'Activate the application in EMAS Manager',
      'Allow the user to log in (Login Access)',
    ]) {
      t.ok(await page.getByRole('heading', { name: step, level: 4 }).isVisible(), step);
    }
    const password = page.getByLabel(/^API password/);
    await password.fill(`${exercise.secrets.apiPassword} `);
    await page.getByText('Warning: this has a space at the start or end').waitFor();
    await page.getByRole('button', { name: 'Check and save' }).click();
    await page.getByText('Fix what failed and check again').waitFor();
    t.ok(await page.locator('.results .check-bad').first().isVisible(), 'the failing check, with its fix');
    t.equal((await api(`${p}/connection`)).status, 'failing', 'nothing saved');

    await password.fill(exercise.secrets.apiPassword!);
    t.notOk(await page.getByText('Warning: this has a space').isVisible(), 'the warning goes');
    await page.getByRole('button', { name: 'Check and save' }).click();
    await page.getByText('Every check passed and the connection is saved.').waitFor();
    t.equal(await page.locator('.results .check-bad').count(), 0);
    t.equal((await api(`${p}/connection`)).status, 'healthy');
    t.same(await unlabelled(), []);
    await shot('connection');
  });

  // A slot type the practice will later delete in EMIS: the console marks it gone.
  const sandboxUrl = demo.practices[0]!.sandboxUrl;
  const travel = 'Travel clinic';
  const added = await fetch(`${sandboxUrl}/_sandbox/slot-types`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      id: '99',
      description: travel,
      display: 'Travel',
      bookable: false,
      emisAccess: true,
    }),
  });
  t.equal(added.status, 201, 'the sandbox has a Travel clinic slot type');

  await t.test('stage 1: a duplicate turns both rows red and saves nothing; 1 to 1 saves', async (t) => {
    await tab('Practitioners');
    await page.getByRole('button', { name: 'Refresh from EHR' }).click();
    await page.getByText('Refreshed from the EHR.').waitFor();
    // One who offers appointments through the booking side only: left blank.
    await page.getByLabel('Name').fill('Online-only physio');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Added Online-only physio.').waitFor();
    const names = (await page.locator('table.mapping tbody tr th').allTextContents()).filter(
      (name) => name !== 'Online-only physio',
    );
    t.ok(names.length >= 2, 'our practitioners are listed');
    const select = (name: string) =>
      page.getByRole('combobox', { name: `EMIS Web practitioner for ${name}` });
    await select(names[0]!).selectOption({ label: names[0]! });
    await select(names[1]!).selectOption({ label: names[0]! });
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText('Nothing was saved. The rows in red need a different choice.').waitFor();
    t.equal(await page.locator('tr.conflict').count(), 2, 'both rows red');
    t.match(await page.locator('tr.conflict .row-problem').first().textContent(), /1 to 1/);
    t.equal(await page.locator('tr.conflict select[aria-invalid="true"]').count(), 2);
    const unsaved = await api(`${p}/mappings/practitioners`);
    t.ok(
      unsaved.rows.every((r: { ehrPractitionerId: string | null }) => r.ehrPractitionerId === null),
      'nothing saved',
    );
    await shot('practitioners-duplicate');

    for (const name of names) await select(name).selectOption({ label: name });
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText(/^Saved at/).waitFor();
    t.equal(await page.locator('tr.conflict').count(), 0, 'no red row left');
    const saved = await api(`${p}/mappings/practitioners`);
    t.same(
      saved.rows
        .filter((r: { ehrPractitionerId: string | null }) => r.ehrPractitionerId === null)
        .map((r: { practitionerName: string }) => r.practitionerName),
      ['Online-only physio'],
      'each mapped 1 to 1, the online-only one blank',
    );
    t.same(await unlabelled(), []);
    await shot('practitioners');
  });

  await t.test('stage 2: locations', async (t) => {
    await tab('Locations');
    const names = await page.locator('table.mapping tbody tr th').allTextContents();
    for (const name of names) {
      await page.getByRole('combobox', { name: `EMIS Web site for ${name}` }).selectOption({ label: name });
    }
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const saved = await api(`${p}/mappings/locations`);
    t.ok(saved.rows.every((r: { ehrLocationId: string | null }) => r.ehrLocationId !== null));
    await shot('locations');
  });

  await t.test('stage 3 and the active list: one unregistered type only; then saved', async (t) => {
    await tab('Slot type features');
    const names = (await page.locator('table.mapping tbody tr th').allTextContents()).map((n) =>
      n.replace(/ not set yet$/, '').trim(),
    );
    const unregistered = names.find((n) => /unregistered/i.test(n))!;
    const clinic = names.find((n) => /baby clinic/i.test(n))!;
    const feature = (name: string) => page.getByRole('combobox', { name: `Feature of ${name}` });
    const type = (name: string) => page.getByRole('combobox', { name: `Appointment type for ${name}` });
    const active = (name: string) => page.getByRole('checkbox', { name: `${name} is active (synced)` });

    await feature(unregistered).selectOption({ label: 'Unregistered Patient Booking' });
    await feature(clinic).selectOption({ label: 'Unregistered Patient Booking' });
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText('Nothing was saved. The rows in red need a different choice.').waitFor();
    t.equal(await page.locator('tr.conflict').count(), 2, 'the two unregistered rows are red');
    t.match(await page.locator('tr.conflict .row-problem').first().textContent(), /Only one slot type/);
    const unsaved = await api(`${p}/mappings/slot-types`);
    t.ok(
      unsaved.rows.every((r: { configured: boolean }) => !r.configured),
      'nothing saved',
    );
    t.same((await api(`${p}/active-slot-types`)).ehrSlotTypeIds, [], 'nor the active list');
    await shot('slot-types-duplicate');

    for (const name of names) {
      if (name === unregistered) {
        await active(name).check();
      } else if (name === clinic || name === travel) {
        await feature(name).selectOption({ label: 'Not Bookable' });
        await type(name).selectOption({ label: '--DISABLED--' });
      } else {
        await feature(name).selectOption({ label: 'Bookable' });
        await type(name).selectOption({ label: name });
        await active(name).check();
      }
    }
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const saved = await api(`${p}/mappings/slot-types`);
    t.ok(saved.rows.every((r: { configured: boolean }) => r.configured));
    t.equal(await page.getByText('not set yet').count(), 0, 'redrawn from what is saved');
    t.equal(
      (await api(`${p}/active-slot-types`)).ehrSlotTypeIds.length,
      names.length - 2,
      'all but the two clinics active',
    );
    t.same(await unlabelled(), []);
    await shot('slot-types');
  });

  await t.test('stage 4: booking features', async (t) => {
    await tab('Booking features');
    const names = await page.locator('table.mapping tbody tr th').allTextContents();
    for (const name of names) {
      await page.getByRole('combobox', { name: `EHR slot type for ${name}` }).selectOption({ label: name });
    }
    await page.getByRole('button', { name: 'Save the table' }).click();
    await page.getByText(/^Saved at/).waitFor();
    const saved = await api(`${p}/mappings/appointment-types`);
    t.ok(saved.rows.every((r: { ehrSlotTypeId: string | null }) => r.ehrSlotTypeId !== null));
    await shot('booking-features');
  });

  let offeredDate = '';
  await t.test('sync now from the overview: slots are offered', async (t) => {
    await tab('Overview');
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText(/^Sync succeeded: \d+ slots read\.$/).waitFor();
    await page.locator('table tbody tr', { hasText: 'manual' }).first().waitFor();
    t.ok(await page.locator('.facts .badge', { hasText: 'healthy' }).isVisible(), 'connection: healthy');
    const slots = await api(`${p}/slots`);
    t.ok(slots.data.length > 0, `${slots.data.length} slots offered`);
    offeredDate = slots.data.at(-1).start.slice(0, 10);
    await shot('overview');
  });

  await t.test("why isn't this slot offered: the rules in order, with evidence and fixes", async (t) => {
    await tab("Why isn't this slot offered?");
    await page.getByLabel('Date').fill(offeredDate);
    await page.getByLabel('Slot type').selectOption({ label: 'Baby clinic' });
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const active = page.locator('[data-check="slot_type_active"]');
    await active.waitFor();
    t.match(
      await active.textContent(),
      /fail.*not on the active list.*Fix:/s,
      'the clinic is not synced, and why',
    );
    t.equal(await page.locator('.checklist > li').first().getAttribute('data-check'), 'ehr_session_exists');
    t.match(await page.locator('#offered-heading').textContent(), /Offered to patients \([1-9]\d*\)/);
    t.ok(await page.locator('#diary-heading').isVisible(), 'the day as booked, both sides');
    t.same(await unlabelled(), []);
    await shot('why');

    await page.getByLabel('Slot type').selectOption({ label: 'Routine GP' });
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.locator('[data-check="slot_type_active"] .badge', { hasText: 'pass' }).waitFor();
    t.pass('Routine GP is active');
  });

  await t.test('a slot type deleted in the EHR is marked gone after Refresh from EHR', async (t) => {
    const removed = await fetch(`${sandboxUrl}/_sandbox/slot-types/99`, { method: 'DELETE' });
    t.equal(removed.status, 204);
    await tab('Slot type features');
    t.equal(await page.getByText('gone from the EHR').count(), 0, 'nothing gone yet');
    await page.getByRole('button', { name: 'Refresh from EHR' }).click();
    await page.getByText(/^Refreshed from the EHR\. 1 mapping\(s\) point at something gone/).waitFor();
    const row = page.locator('table.mapping tbody tr', { hasText: travel });
    t.ok(await row.getByText('gone from the EHR').isVisible(), 'its row is marked');
    await shot('slot-types-gone');
  });

  await t.test("another plugin's form: GP Connect's certificates keep their lines", async (t) => {
    const gpConnect = demo.practices.find((p) => p.ehr === 'gpconnect')!;
    await page.goto(`${address}/console/#/practices/${gpConnect.practiceId}/connection`);
    await page.locator('main[aria-busy="false"] a[aria-current="page"]', { hasText: 'Connection' }).waitFor();
    const certificate = page.getByLabel(/^TLS client certificate/);
    t.equal(await certificate.evaluate((el) => el.tagName), 'TEXTAREA', 'a PEM file is a multi-line field');
    t.equal(await page.getByLabel(/^Practice ODS code/).evaluate((el) => el.tagName), 'INPUT');
    t.ok(await page.getByRole('heading', { level: 4 }).first().isVisible(), "the plugin's own steps");
    t.same(await unlabelled(), []);
    await shot('connection-gpconnect');
  });

  await t.test("a practice manager's own key opens their practice, and only it", async (t) => {
    const issued = await app.inject({
      method: 'POST',
      url: `${p}/api-keys`,
      headers: { authorization: `Bearer ${demo.partnerKey}` },
      payload: { label: 'Practice manager' },
    });
    t.equal(issued.statusCode, 201, issued.body);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(issued.json().key);
    await page.getByLabel('API key').press('Enter');
    await page.locator('main[aria-busy="false"] a[aria-current="page"]', { hasText: 'Overview' }).waitFor();
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), exercise.name, 'straight to it');
    await page.getByRole('link', { name: 'Practices', exact: true }).click();
    await page.getByRole('heading', { name: 'Practices', level: 1 }).waitFor();
    t.equal(await page.locator('table tbody tr').count(), 1, 'the one practice it reaches');
  });

  t.same(pageErrors, [], 'no script error in the page');
});
