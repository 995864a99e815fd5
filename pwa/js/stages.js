/** Deal stages in pipeline order, as the keys stored in `deal.stage`. */
export const STAGES = /** @type {const} */ ([
  'prospecting',
  'qualification',
  'initial_contact',
  'nurturing',
  'proposal',
  'negotiation',
  'closing',
  'post_sales',
]);

/**
 * Percent chance that an open deal in the stage is won, when the deal has
 * no probability of its own. These mirror DEFAULT_PROBABILITIES in
 * server/pipelines.py; a team may store other values on the server, which
 * the phone does not download.
 */
export const DEFAULT_PROBABILITIES = /** @type {Record<string, number>} */ ({
  prospecting: 5,
  qualification: 10,
  initial_contact: 20,
  nurturing: 30,
  proposal: 50,
  negotiation: 70,
  closing: 90,
  post_sales: 100,
});

/**
 * Days without activity after which an open deal in the stage is rotting,
 * or null for a stage where deals never rot. These mirror
 * DEFAULT_ROTTING_DAYS in server/pipelines.py.
 *
 * NOTE: a team's own pipeline limits and `rotting_days` overrides stay on
 * the server, so for such a team the board's flags can differ from its
 * reminders.
 */
export const DEFAULT_ROTTING_DAYS = /** @type {Record<string, number | null>} */ ({
  prospecting: 14,
  qualification: 10,
  initial_contact: 7,
  nurturing: 21,
  proposal: 10,
  negotiation: 14,
  closing: 7,
  post_sales: 30,
});

/**
 * Return a deal's win probability in percent and where it comes from: the
 * rep's own override (`probability`), else the stage's default.
 * @param {Record<string, any>} fields
 * @returns {{percent: number, source: 'override' | 'stage'}}
 */
export function winProbability(fields) {
  if (typeof fields.probability === 'number') return { percent: fields.probability, source: 'override' };
  return { percent: DEFAULT_PROBABILITIES[fields.stage] ?? 0, source: 'stage' };
}

/**
 * Return the stage after the given one, or null for the last stage or an
 * unknown key.
 * @param {string} stage
 * @returns {string | null}
 */
export function nextStage(stage) {
  const index = STAGES.indexOf(/** @type {any} */ (stage));
  if (index < 0 || index === STAGES.length - 1) return null;
  return STAGES[index + 1];
}
