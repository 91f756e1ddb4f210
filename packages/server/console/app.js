/**
 * The console's shell: sign-in, the practice list and a practice's tabs, routed by the URL's
 * hash (#/practices/<id>/<tab>) so every view has an address and the back button works.
 */
import { ApiError, all, api, session, whenUnauthorised } from './api.js';
import { h, replace, statusLine } from './dom.js';
import { connectionTab } from './tabs/connection.js';
import { bookingFeaturesTab, locationsTab, practitionersTab, slotTypesTab } from './tabs/mappings.js';
import { overviewTab } from './tabs/overview.js';
import { whyTab } from './tabs/why.js';
import { connectionBadge, dataTable, messageOf, pluginNames, plugins, problemBox } from './ui.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const account = /** @type {HTMLElement} */ (document.getElementById('account'));

/** A practice's tabs, in the order a practice manager sets up (seed 000's stages 1–4 in the middle). */
const TABS = [
  { id: 'overview', label: 'Overview', render: overviewTab },
  { id: 'connection', label: 'Connection', render: connectionTab },
  { id: 'practitioners', label: 'Practitioners', render: practitionersTab },
  { id: 'locations', label: 'Locations', render: locationsTab },
  { id: 'slot-types', label: 'Slot type features', render: slotTypesTab },
  { id: 'booking-features', label: 'Booking features', render: bookingFeaturesTab },
  { id: 'why', label: "Why isn't this slot offered?", render: whyTab },
];

whenUnauthorised(() => {
  session.signOut();
  signIn('Your key was not accepted any more (revoked, rotated or expired). Sign in again.');
});

function setTitle(...parts) {
  document.title = [...parts, 'slotbridge console'].join(' · ');
}

function showAccount() {
  if (!session.key) return replace(account);
  replace(
    account,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          session.signOut();
          // The hash change routes; on the list already, route now.
          if (location.hash === '#/') route();
          else location.hash = '#/';
        },
      },
      'Sign out',
    ),
  );
}

/** The sign-in form: a practice key (its practice), a partner key (its practices), the admin key (all) — checked against the API. */
function signIn(message) {
  showAccount();
  setTitle('Sign in');
  const status = statusLine();
  const input = h('input', {
    id: 'api-key',
    name: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-help',
  });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        status.textContent = 'Checking the key…';
        try {
          const reached = await api('GET', '/v1/practices', { key, query: { limit: 2 } });
          session.signIn(key);
          // A key for one practice (a practice manager's) opens that practice at once.
          const only = reached.data.length === 1 ? reached.data[0] : null;
          if (location.hash.startsWith('#/practices/')) route();
          else if (only) location.hash = `#/practices/${only.id}/overview`;
          else if (location.hash === '#/') route();
          else location.hash = '#/';
        } catch (error) {
          status.textContent =
            error instanceof ApiError && error.status === 401
              ? 'That key is not valid: check you copied all of it (it starts with sb_).'
              : `Could not sign in: ${messageOf(error)}`;
          input.focus();
        }
      },
    },
    h('h1', null, 'Sign in'),
    message ? h('p', { class: 'notice', role: 'alert' }, message) : null,
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h(
      'p',
      { id: 'api-key-help', class: 'help' },
      'The key your slotbridge partner gave you. A practice key opens its practice; a partner key shows its practices; an admin key shows every practice. It is kept only in this browser tab.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  replace(main, form);
  input.focus();
}

async function practiceList(current) {
  setTitle('Practices');
  const practices = await all('/v1/practices');
  const names = await pluginNames();
  const rows = await Promise.all(
    practices.map(async (p) => {
      const connection = await api('GET', `/v1/practices/${p.id}/connection`).catch(() => null);
      return h(
        'tr',
        null,
        h('td', null, h('a', { href: `#/practices/${p.id}/overview` }, p.name)),
        h('td', null, names.get(p.ehr) ?? p.ehr),
        h('td', null, p.odsCode ?? '—'),
        h('td', null, connectionBadge(connection?.status ?? 'not set up')),
      );
    }),
  );
  if (!current()) return;
  replace(
    main,
    h('h1', null, 'Practices'),
    dataTable(['Practice', 'Clinical system', 'ODS code', 'Connection'], rows, {
      caption: 'Practices this key can reach',
      hideCaption: true,
      empty: 'This key reaches no practice yet.',
    }),
  );
}

async function practicePage(practiceId, tabId, message, current) {
  const tab = TABS.find((t) => t.id === tabId) ?? TABS[0];
  const practice = await api('GET', `/v1/practices/${practiceId}`);
  const plugin = (await plugins()).find((p) => p.id === practice.ehr) ?? {
    id: practice.ehr,
    name: practice.ehr,
  };
  if (!current()) return;
  setTitle(tab.label, practice.name);
  const panel = h('section', { id: 'panel', 'aria-labelledby': 'tab-heading' });
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Practices'), ' › ', practice.name),
    h('h1', null, practice.name),
    h(
      'p',
      { class: 'sub' },
      `${plugin.name} · ${practice.timeZone}${practice.odsCode ? ` · ODS ${practice.odsCode}` : ''}`,
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Practice settings' },
      h(
        'ul',
        null,
        TABS.map((t) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: `#/practices/${practiceId}/${t.id}`, 'aria-current': t.id === tab.id ? 'page' : false },
              t.label,
            ),
          ),
        ),
      ),
    ),
    panel,
  );
  replace(panel, h('h2', { id: 'tab-heading' }, tab.label), h('p', null, 'Loading…'));
  await tab.render(panel, { practice, plugin, reload: (after) => route(after) });
  // A message from before the redraw ("Saved at …"), in the tab's first status line.
  const status = panel.querySelector('.status');
  if (message && status) status.textContent = message;
}

let routing = 0;
/** Shows the view the hash names; `message` goes in the redrawn tab's status line. */
async function route(message) {
  const turn = ++routing;
  const current = () => turn === routing;
  showAccount();
  if (!session.key) return signIn();
  const [, section, id, tab] = location.hash.split('/');
  // Busy until the new view is drawn: what shows meanwhile is the view being left.
  main.setAttribute('aria-busy', 'true');
  try {
    if (section === 'practices' && id) await practicePage(decodeURIComponent(id), tab, message, current);
    else await practiceList(current);
  } catch (error) {
    if (!current() || (error instanceof ApiError && error.status === 401)) return;
    replace(
      main,
      h('h1', null, 'Something went wrong'),
      problemBox(error),
      h('p', null, h('a', { href: '#/' }, 'Back to the practices')),
    );
  } finally {
    if (current()) main.setAttribute('aria-busy', 'false');
  }
}

window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/') || location.hash === '') route();
});
route();
