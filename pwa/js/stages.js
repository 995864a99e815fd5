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
