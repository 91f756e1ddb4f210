/**
 * A practice at a glance: the EHR, the connection's health with the last sync and its age, the
 * next sync, the set-up checks with each failing one's fix, freshness, and the bookings that
 * need reconciling in the EHR.
 */
import { ApiError, all, api } from '../api.js';
import { badge, h, replace, statusLine } from '../dom.js';
import { age, dateTime } from '../format.js';
import { connectionBadge, dataTable, problemBox } from '../ui.js';

export async function overviewTab(panel, ctx) {
  const { practice, plugin } = ctx;
  const base = `/v1/practices/${practice.id}`;
  const zone = practice.timeZone;
  const connection = await api('GET', `${base}/connection`).catch((error) => {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  });
  const [runs, held] = await Promise.all([
    api('GET', `${base}/sync-runs`, { query: { limit: 5 } }),
    all(`${base}/reconciliation`),
  ]);
  const when = (iso) => (iso ? [dateTime(iso, zone), h('span', { class: 'age' }, ` (${age(iso)})`)] : '—');
  const status = statusLine();

  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', null, 'Clinical system'),
    h('dd', null, plugin.name),
    h('dt', null, 'Connection'),
    h(
      'dd',
      null,
      connection ? connectionBadge(connection.status) : badge('warn', 'not set up'),
      ' ',
      h('a', { href: `#/practices/${practice.id}/connection` }, connection ? 'Change' : 'Set it up'),
    ),
    h('dt', null, 'Last sync'),
    h('dd', null, when(connection?.lastSyncAt)),
    h('dt', null, 'Last good sync (freshness)'),
    h('dd', null, when(connection?.lastGoodSyncAt)),
    h('dt', null, 'Next sync due by'),
    h('dd', null, when(connection?.nextSyncDueBy)),
    connection?.ehrCalls
      ? [
          h('dt', null, 'EHR calls in the last minute'),
          h('dd', null, `${connection.ehrCalls.lastMinute} of ${connection.ehrCalls.budgetPerMinute}`),
        ]
      : null,
    h('dt', null, 'Bookings needing reconciliation'),
    h('dd', null, held.length === 0 ? badge('ok', 'none') : badge('bad', String(held.length))),
  );

  const failing = (connection?.setupChecks ?? []).filter((c) => !c.ok);
  const checks = connection
    ? h(
        'section',
        { 'aria-labelledby': 'checks-heading' },
        h('h3', { id: 'checks-heading' }, 'Set-up checks'),
        connection.lastSyncError
          ? h(
              'div',
              { class: 'problem', role: 'alert' },
              h('p', null, h('strong', null, 'The last sync failed: '), connection.lastSyncError),
              connection.lastSyncFix ? h('p', null, 'Fix: ', connection.lastSyncFix) : null,
            )
          : null,
        failing.length === 0
          ? h(
              'p',
              null,
              badge('ok', 'pass'),
              ` All ${connection.setupChecks.length} checks passed when last run (${age(connection.checkedAt)}).`,
            )
          : h('ul', { class: 'checks' }, failing.map(checkItem)),
        h(
          'details',
          null,
          h('summary', null, 'Every check'),
          h('ul', { class: 'checks' }, connection.setupChecks.map(checkItem)),
        ),
      )
    : null;

  const syncNow = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        status.textContent = 'Syncing…';
        try {
          const run = await api('POST', `${base}/sync`);
          await ctx.reload(`Sync ${run.status}: ${run.counts?.fetched ?? 0} slots read.`);
        } catch (error) {
          replace(status, problemBox(error));
        }
      },
    },
    'Sync now',
  );

  replace(
    panel,
    h('h2', { id: 'tab-heading' }, 'Overview'),
    facts,
    h('div', { class: 'actions' }, syncNow),
    status,
    checks,
    h(
      'section',
      { 'aria-labelledby': 'runs-heading' },
      h('h3', { id: 'runs-heading' }, 'Latest syncs'),
      dataTable(
        ['Started', 'Why', 'Result', 'Slots read', 'New', 'Changed', 'Gone'],
        runs.data.map((run) =>
          h(
            'tr',
            null,
            h('td', null, when(run.startedAt)),
            h('td', null, run.trigger),
            h(
              'td',
              null,
              badge(run.status === 'succeeded' ? 'ok' : run.status === 'failed' ? 'bad' : 'warn', run.status),
              run.error ? ` ${run.error.message ?? ''}` : '',
            ),
            h('td', null, run.counts?.fetched ?? '—'),
            h('td', null, run.counts?.inserted ?? '—'),
            h('td', null, run.counts?.updated ?? '—'),
            h('td', null, run.counts?.deleted ?? '—'),
          ),
        ),
        { caption: 'The latest syncs, newest first', hideCaption: true, empty: 'No sync has run yet.' },
      ),
    ),
    held.length === 0
      ? null
      : h(
          'section',
          { 'aria-labelledby': 'held-heading' },
          h('h3', { id: 'held-heading' }, 'Bookings needing reconciliation'),
          h(
            'p',
            null,
            'These bookings hold their time in the EHR but need a person to finish them there (for example, a patient the EHR could not match).',
          ),
          h(
            'ul',
            null,
            held.map((item) =>
              h(
                'li',
                null,
                dateTime(item.slot.start, zone),
                item.practitioner ? ` — ${item.practitioner.name}` : '',
                item.location ? `, ${item.location.name}` : '',
                ` (EHR slot ${item.slot.ehrSlotId}, held ${age(item.since)})`,
              ),
            ),
          ),
        ),
  );
}

/** One set-up check: pass/fail as a word, its message, and the fix when it failed. */
export function checkItem(check) {
  const kind = check.ok ? 'ok' : check.severity === 'warning' ? 'warn' : 'bad';
  const word = check.ok ? 'pass' : check.severity === 'warning' ? 'warning' : 'fail';
  return h(
    'li',
    { class: `check check-${kind}`, 'data-check': check.id },
    badge(kind, word),
    ' ',
    check.message,
    !check.ok && check.fix ? h('p', { class: 'fix' }, 'Fix: ', check.fix) : null,
  );
}
