/**
 * True when any model's served spend passed its budget. Computed from the bench's own tally of
 * the true costs it served, so a serving step that let a query through wrongly shows here
 * instead of being trusted.
 */
export function overspent(spent: ArrayLike<number>, budgets: ArrayLike<number>): boolean {
  if (spent.length !== budgets.length) throw new Error(`spend of ${spent.length} models against ${budgets.length} budgets`);
  for (let m = 0; m < budgets.length; m++) if (spent[m]! > budgets[m]!) return true;
  return false;
}
