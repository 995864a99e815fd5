/**
 * A small helper for building DOM nodes in views.
 *
 *   h('button', {type: 'button', 'data-testid': 'save', onclick: save}, t('deal.save'))
 *
 * Attributes starting with "on" and given a function become event
 * listeners; `null`, `undefined` and `false` attributes and children are
 * skipped; string children become text nodes, never HTML.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value' && 'value' in element) {
      /** @type {HTMLInputElement} */ (element).value = String(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/**
 * Replace every child of parent with the given children.
 * @param {Element} parent
 * @param {...(Child | Child[])} children
 */
export function replaceChildren(parent, ...children) {
  parent.textContent = '';
  append(parent, children);
}

/**
 * @param {Element} parent
 * @param {unknown[]} children  Nodes, strings and arrays of them, nested to any depth.
 */
function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Return today's date as YYYY-MM-DD in the phone's time zone. */
export function todayIso() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}
