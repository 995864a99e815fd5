/**
 * Inline SVG charts for the dashboard, sized by viewBox so they scale to
 * the phone's width. Each chart has role="img" and a <title> with every
 * number, and the caller shows the same numbers in a table for screen
 * readers, so nothing is only in the drawing.
 */

import { h } from './dom.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Width of every chart's viewBox; about the content width of a 390 px phone. */
const CHART_WIDTH = 360;

/**
 * Build an SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...(Node | string)} children
 * @returns {SVGElement}
 */
function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return /** @type {SVGElement} */ (element);
}

let chartCount = 0;

/**
 * @typedef {object} FunnelRow
 * @property {string} label  The stage's name.
 * @property {number} count  Deals that reached the stage.
 * @property {string} countText  The count, formatted.
 * @property {string | null} rateText  Share that moved on, formatted; null for the last stage.
 * @property {string} description  The row in words, for the title.
 */

/**
 * Draw the stage funnel: one bar per stage, its length the share of the
 * first stage's deals, with the count after the bar and the share that
 * moved on at the right.
 * @param {FunnelRow[]} rows
 * @param {string} title  Chart title, read first by screen readers.
 */
export function funnelChart(rows, title) {
  const rowHeight = 40;
  const barMax = 230;
  const widest = Math.max(1, ...rows.map((row) => row.count));
  const id = `chart-${++chartCount}`;

  const bars = rows.map((row, index) => {
    const y = index * rowHeight;
    const width = row.count === 0 ? 0 : Math.max(2, (row.count / widest) * barMax);
    return svg(
      'g',
      { 'data-testid': 'funnel-bar' },
      svg('title', {}, row.description),
      svg('text', { x: 0, y: y + 13, class: 'chart-label' }, row.label),
      svg('rect', { x: 0, y: y + 18, width, height: 16, rx: 3, class: 'chart-bar' }),
      svg('text', { x: width + 6, y: y + 31, class: 'chart-value' }, row.countText),
      row.rateText
        ? svg('text', { x: CHART_WIDTH, y: y + 31, 'text-anchor': 'end', class: 'chart-rate' }, `→ ${row.rateText}`)
        : '',
    );
  });

  return svg(
    'svg',
    {
      viewBox: `0 0 ${CHART_WIDTH} ${rows.length * rowHeight}`,
      role: 'img',
      'aria-labelledby': id,
      class: 'chart funnel',
      'data-testid': 'funnel-chart',
    },
    svg('title', { id }, [title, ...rows.map((row) => row.description)].join('. ')),
    ...bars,
  );
}

/**
 * @typedef {object} BarColumn
 * @property {string} label  Short month name under the bar.
 * @property {number} value
 * @property {number} weighted
 * @property {string} [valueLabel]  The full value in a few characters, over the bar.
 * @property {string} description  The column in words, for the title.
 */

/**
 * Draw the forecast: one column per month, the full value light and the
 * weighted value dark in front of it.
 * @param {BarColumn[]} columns
 * @param {string} title
 */
export function forecastChart(columns, title) {
  const height = 196;
  const labelSpace = 22;
  // Room above the tallest bar for its value label.
  const valueSpace = 16;
  const plotHeight = height - labelSpace;
  const highest = Math.max(1, ...columns.map((column) => column.value));
  const slot = CHART_WIDTH / Math.max(1, columns.length);
  const barWidth = Math.min(36, slot * 0.7);
  const id = `chart-${++chartCount}`;

  const bars = columns.map((column, index) => {
    const x = index * slot + (slot - barWidth) / 2;
    const full = (column.value / highest) * (plotHeight - valueSpace);
    const weighted = (column.weighted / highest) * (plotHeight - valueSpace);
    return svg(
      'g',
      { 'data-testid': 'forecast-bar' },
      svg('title', {}, column.description),
      svg('rect', { x, y: plotHeight - full, width: barWidth, height: full, class: 'chart-bar-light' }),
      svg('rect', { x, y: plotHeight - weighted, width: barWidth, height: weighted, class: 'chart-bar' }),
      svg('text', { x: x + barWidth / 2, y: height - 6, 'text-anchor': 'middle', class: 'chart-label' }, column.label),
      ...(column.valueLabel
        ? [
            svg(
              'text',
              { x: x + barWidth / 2, y: plotHeight - full - 4, 'text-anchor': 'middle', class: 'chart-label', 'data-testid': 'forecast-value' },
              column.valueLabel,
            ),
          ]
        : []),
    );
  });

  return svg(
    'svg',
    {
      viewBox: `0 0 ${CHART_WIDTH} ${height}`,
      role: 'img',
      'aria-labelledby': id,
      class: 'chart forecast',
      'data-testid': 'forecast-chart',
    },
    svg('title', { id }, [title, ...columns.map((column) => column.description)].join('. ')),
    svg('line', { x1: 0, x2: CHART_WIDTH, y1: plotHeight, y2: plotHeight, class: 'chart-axis' }),
    ...bars,
  );
}

/**
 * A table with the chart's numbers, hidden on screen and read by screen
 * readers.
 * @param {string} caption
 * @param {string[]} headers
 * @param {string[][]} rows
 * @param {string} testId
 */
export function numbersTable(caption, headers, rows, testId) {
  return h(
    'table',
    { class: 'visually-hidden', 'data-testid': testId },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, cell) : h('td', {}, cell)))))),
  );
}
