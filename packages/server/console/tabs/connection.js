/**
 * Connection set-up, generated from the plugin's connection schema (GET /v1/plugins): the steps
 * the practice follows in its EHR first (the plugin's own setupSteps), then one field per
 * setting with the schema's title and description, secrets as password fields that are never
 * shown again. "Check and save" runs the plugin's set-up checks live (PUT …/connection): each
 * shows pass or fail with its fix, and nothing is saved until they pass.
 */
import { ApiError, api } from '../api.js';
import { badge, h, replace, statusLine, uid } from '../dom.js';
import { connectionBadge, problemBox } from '../ui.js';
import { checkItem } from './overview.js';

export async function connectionTab(panel, ctx) {
  const { practice, plugin } = ctx;
  const url = `/v1/practices/${practice.id}/connection`;
  const current = await api('GET', url).catch((error) => {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  });
  const schema = plugin.connectionSchema ?? { properties: {}, required: [] };
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) =>
    field(name, property, required.has(name), current),
  );
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const status = statusLine();
  const submit = h('button', { type: 'submit' }, 'Check and save');

  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        for (const f of fields) f.clearError();
        const body = {};
        for (const f of fields) {
          const value = f.read();
          if (value !== undefined) body[f.name] = value;
        }
        submit.disabled = true;
        status.textContent = 'Checking the connection with the EHR…';
        replace(results);
        try {
          const saved = await api('PUT', url, { body });
          status.textContent = '';
          replace(
            results,
            h(
              'p',
              { class: 'notice ok', role: 'status' },
              badge('ok', 'saved'),
              ' Every check passed and the connection is saved.',
            ),
            h('ul', { class: 'checks' }, saved.setupChecks.map(checkItem)),
          );
          for (const f of fields) f.forgetSecret();
        } catch (error) {
          status.textContent = '';
          const problem = error instanceof ApiError ? error.problem : {};
          if (Array.isArray(problem.checks)) {
            replace(
              results,
              h(
                'p',
                { class: 'notice bad', role: 'alert' },
                badge('bad', 'not saved'),
                ` ${problem.detail}. Fix what failed and check again.`,
              ),
              h('ul', { class: 'checks' }, problem.checks.map(checkItem)),
            );
          } else {
            for (const item of problem.errors ?? [])
              fields.find((f) => `/${f.name}` === item.field)?.showError(item.message);
            replace(results, problemBox(error));
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, `${plugin.name} connection details`),
    current?.secrets && Object.values(current.secrets).includes('set')
      ? h('p', { class: 'help' }, 'Saved secrets are never shown. To change anything, type them again.')
      : null,
    fields.map((f) => f.element),
    h('div', { class: 'actions' }, submit),
    status,
    results,
  );

  replace(
    panel,
    h('h2', { id: 'tab-heading' }, 'Connection'),
    h(
      'p',
      null,
      'Status: ',
      current ? connectionBadge(current.status) : badge('warn', 'not set up'),
      current?.lastSyncFix ? h('span', null, ` — ${current.lastSyncFix}`) : null,
    ),
    current?.setupChecks?.length
      ? h(
          'details',
          { open: current.status !== 'healthy' },
          h('summary', null, 'Set-up checks when last saved'),
          h('ul', { class: 'checks' }, current.setupChecks.map(checkItem)),
        )
      : null,
    steps(plugin),
    form,
  );
}

/** The plugin's set-up steps in the EHR, in order, with their warnings. */
function steps(plugin) {
  const list = plugin.setupSteps ?? [];
  if (list.length === 0) return null;
  return h(
    'section',
    { 'aria-labelledby': 'steps-heading', class: 'steps' },
    h('h3', { id: 'steps-heading' }, `Before you start: in ${plugin.name}`),
    h(
      'ol',
      null,
      list.map((step) =>
        h(
          'li',
          null,
          h('h4', null, step.title),
          step.text
            .split('\n')
            .filter(Boolean)
            .map((line) => h('p', null, line)),
          step.warning ? h('p', { class: 'warning' }, h('strong', null, 'Important: '), step.warning) : null,
        ),
      ),
    ),
  );
}

/** One setting as a labelled input, with its description, a live stray-space warning and its error. */
function field(name, property, isRequired, current) {
  const id = uid('conn');
  const helpId = `${id}-help`;
  const noteId = `${id}-note`;
  const secret = property.writeOnly === true;
  const numeric = property.type === 'integer' || property.type === 'number';
  const saved = current?.settings?.[name];
  // A file's contents (a PEM certificate, say: contentMediaType in the schema) keep their lines.
  const multiline = typeof property.contentMediaType === 'string';
  const input = h(multiline ? 'textarea' : 'input', {
    id,
    name,
    type: multiline
      ? null
      : secret
        ? 'password'
        : numeric
          ? 'number'
          : property.format === 'uri'
            ? 'url'
            : 'text',
    rows: multiline ? 6 : null,
    autocomplete: secret ? 'new-password' : 'off',
    spellcheck: 'false',
    required: isRequired,
    'aria-required': isRequired ? 'true' : false,
    'aria-describedby': `${helpId} ${noteId}`,
    placeholder:
      secret && current?.secrets?.[name] === 'set'
        ? 'saved — type it again to change'
        : (property.examples?.[0] ?? property.default ?? ''),
    value: saved === undefined || saved === null ? (property.default ?? '') : String(saved),
    min: property.minimum,
    max: property.maximum,
  });
  const note = h('p', { id: noteId, class: 'field-note', 'aria-live': 'polite' });
  const strayNote = () => {
    const value = input.value;
    note.textContent =
      !multiline && value !== value.trim()
        ? 'Warning: this has a space at the start or end. Remove it unless it is really part of the value.'
        : '';
    note.classList.toggle('warning', note.textContent !== '');
  };
  input.addEventListener('input', strayNote);
  const label = property.title ? property.title[0].toUpperCase() + property.title.slice(1) : name;
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label, isRequired ? h('span', { class: 'required' }, ' (required)') : null),
    input,
    property.description
      ? h('p', { id: helpId, class: 'help' }, property.description)
      : h('span', { id: helpId }),
    note,
  );
  return {
    name,
    element,
    read() {
      const raw = input.value;
      if (raw === '') return isRequired ? '' : undefined;
      return numeric ? Number(raw) : raw;
    },
    showError(message) {
      input.setAttribute('aria-invalid', 'true');
      note.textContent = message;
      note.classList.add('warning');
    },
    clearError() {
      input.removeAttribute('aria-invalid');
      strayNote();
    },
    forgetSecret() {
      if (secret) {
        input.value = '';
        input.placeholder = 'saved — type it again to change';
      }
    },
  };
}
