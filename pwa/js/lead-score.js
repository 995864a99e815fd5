/**
 * The lead score of a deal: 25 points for each BANT item (budget,
 * authority, need, timing) the rep has confirmed, so 0, 25, 50, 75 or 100.
 * The server computes the same score in server/entities.py `lead_score`,
 * and team rules fire on it, so the two must stay equal.
 */

/** The deal's BANT checklist fields, in the order the deal page lists them. */
export const BANT_FIELDS = /** @type {const} */ (['bant_budget', 'bant_authority', 'bant_need', 'bant_timing']);

/** Points each confirmed BANT item adds to the lead score. */
export const POINTS_PER_ITEM = 25;

/**
 * Return the lead score, 0 to 100, of a deal's fields. A missing or null
 * item counts as not confirmed, as on the server.
 * @param {Record<string, any>} fields
 * @returns {number}
 */
export function leadScore(fields) {
  return POINTS_PER_ITEM * BANT_FIELDS.filter((name) => Boolean(fields[name])).length;
}
