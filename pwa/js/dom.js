/**
 * A small helper for building DOM nodes in views.
 *
 *   h('button', {type: 'button', 'data-testid': 'save', onclick: save}, t('deal.save'))
 *
 * Attributes starting with "on" and given a function become event
 * listeners. `null`, `undefined` and `false` attributes and children are
 * skipped. String children become text nodes, never HTML.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */
/** @typedef {Child | Child[] | Child[][]} Children  A child, or arrays of them nested up to two deep. */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...Children} children
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
 * @param {...Children} children
 */
export function replaceChildren(parent, ...children) {
  parent.textContent = '';
  append(parent, children);
}

/**
 * @param {Element} parent
 * @param {Children[]} children
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
