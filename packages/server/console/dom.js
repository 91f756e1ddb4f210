/**
 * Building the page from elements and text nodes, never from markup strings: nothing the API returns is
 * ever read as HTML.
 */

/**
 * An element with attributes, properties, listeners and children.
 * `on<event>` adds a listener; `value`, `checked`, `selected`, `disabled` are set as properties
 * (after the children, so a <select>'s value finds its options); `class` sets className; every
 * other key is an attribute (true: present, false/null/undefined: absent).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children strings, nodes, arrays of them; null/false are skipped
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (['value', 'checked', 'selected', 'disabled'].includes(key)) late[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  Object.assign(el, late);
  return el;
}

/** Appends strings and nodes (nested arrays flattened; null/false/undefined skipped). */
function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
/** A fresh id for label/aria references. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A status line read out by screen readers when it changes. */
export function statusLine() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

/** A badge with a word (never colour alone). */
export function badge(kind, text) {
  return h('span', { class: `badge badge-${kind}` }, text);
}
