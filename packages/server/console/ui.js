/** Pieces every view shares. */
import { ApiError, api } from './api.js';
import { badge, h } from './dom.js';

let pluginCache = null;
/** The loaded plugins (GET /v1/plugins), once per page load. */
export async function plugins() {
  pluginCache ??= api('GET', '/v1/plugins').then((answer) => answer.data);
  return pluginCache;
}
export async function pluginNames() {
  return new Map((await plugins()).map((p) => [p.id, p.name]));
}

/** healthy / failing / … as a word and a colour. */
export function connectionBadge(status) {
  const kind = status === 'healthy' ? 'ok' : status === 'failing' ? 'bad' : 'warn';
  return badge(kind, status);
}

/** An API error as the practice manager reads it: what happened and how to fix it. */
export function problemBox(error) {
  const problem = error instanceof ApiError ? error.problem : { detail: String(error?.message ?? error) };
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('p', null, h('strong', null, problem.title ?? 'Error'), problem.detail ? `: ${problem.detail}` : ''),
    problem.fix ? h('p', null, 'Fix: ', problem.fix) : null,
    problem.code ? h('p', { class: 'code' }, problem.code) : null,
  );
}

/**
 * A table of `rows` (<tr> elements) under column `headers`, or the `empty` sentence when there
 * are none. `caption` names it for screen readers (shown unless `hideCaption`).
 * @param {string[]} headers
 * @param {HTMLTableRowElement[]} rows
 * @param {{ caption: string, hideCaption?: boolean, className?: string, empty: string }} options
 */
export function dataTable(headers, rows, { caption, hideCaption = false, className, empty }) {
  if (rows.length === 0) return h('p', { class: 'notice' }, empty);
  return h(
    'table',
    { class: className },
    h('caption', { class: hideCaption ? 'visually-hidden' : null }, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h('tbody', null, rows),
  );
}

/** What went wrong, in words, whatever was thrown. */
export const messageOf = (error) => (error instanceof Error ? error.message : String(error));
